//! GitHub: which pull request a run belongs to, and the sticky comment on it (octocrab).
//!
//! Knows nothing of AWS and renders nothing (the body comes from `report::comment`).
//! Failures here never fail a publish: they become warnings in a [`Lookup`] / [`CommentOutcome`].
//! Two phases so the slow part overlaps the AWS work: [`Commenter::lookup`] (PR number, our
//! existing comment) runs alongside the pipeline, [`Commenter::write`] runs once the body exists.

mod event;

use std::fmt;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use octocrab::{Octocrab, Page};
use serde::Deserialize;

pub use crate::plan::{CommentMode, DEFAULT_API_URL, GithubSettings};
use crate::report::comment::marker;

/// Who `GET /user` is assumed to be when it answers 403, as it does for the Actions token.
pub const ACTIONS_BOT_LOGIN: &str = "github-actions[bot]";

/// Comment pages scanned at most (100 comments each), so a misbehaving server cannot loop us.
const MAX_COMMENT_PAGES: usize = 200;

/// Why a GitHub step did not work. It becomes a warning in the outcome, never a failed run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GithubError {
    /// The event payload file could not be read.
    #[error("cannot read the event payload {}: {reason}", .path.display())]
    PayloadUnreadable {
        /// `GITHUB_EVENT_PATH`.
        path: PathBuf,
        /// The I/O error.
        reason: String,
    },
    /// The event payload is not JSON.
    #[error("event payload {} is not JSON: {reason}", .path.display())]
    PayloadNotJson {
        /// `GITHUB_EVENT_PATH`.
        path: PathBuf,
        /// The parser's message.
        reason: String,
    },
    /// 403 "Resource not accessible by integration": a read-only token.
    #[error(
        "PR comment not written: the token cannot comment here ({action}: GitHub answered 403 {message}). A pull request from a fork gets a read-only token; otherwise grant the workflow `pull-requests: write`"
    )]
    ReadOnlyToken {
        /// What the call was doing.
        action: String,
        /// GitHub's message.
        message: String,
    },
    /// GitHub answered with an error status.
    #[error("PR comment not written: {action}: GitHub answered {status}: {message}")]
    Answered {
        /// What the call was doing.
        action: String,
        /// The HTTP status.
        status: String,
        /// GitHub's message.
        message: String,
    },
    /// GitHub could not be reached.
    #[error("PR comment not written: {action}: cannot reach GitHub: {reason}")]
    Unreachable {
        /// What the call was doing.
        action: String,
        /// The transport error, on one line.
        reason: String,
    },
    /// `GITHUB_API_URL` is not a URL.
    #[error("PR comment skipped: GITHUB_API_URL {0:?} is not a URL")]
    BadApiUrl(String),
    /// The HTTP client could not be built.
    #[error("PR comment skipped: cannot set up the GitHub client: {0}")]
    ClientSetup(String),
}

/// Phase 1's result: the PR to comment on and, in sticky mode, our comment already there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lookup {
    pr_number: Option<u64>,
    existing_comment_id: Option<u64>,
    /// False when something went wrong that makes writing unsafe or pointless (no token,
    /// comments could not be listed: creating one then could duplicate it).
    writable: bool,
    warnings: Vec<String>,
    notes: Vec<String>,
}

impl Lookup {
    /// The pull request the comment goes to, when one was found.
    pub fn pr_number(&self) -> Option<u64> {
        self.pr_number
    }

    /// Id of our comment found by its marker (sticky mode only).
    pub fn existing_comment_id(&self) -> Option<u64> {
        self.existing_comment_id
    }

    /// Problems met so far (also carried into the [`CommentOutcome`]).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

/// Phase 2's result. GitHub problems are warnings here, never errors.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommentOutcome {
    /// The comment's `html_url` (the `comment-url` output), when one was written.
    pub html_url: Option<String>,
    /// One line per problem, for `::warning::`.
    pub warnings: Vec<String>,
    /// Informational lines, for the log.
    pub notes: Vec<String>,
}

/// Finds and writes the PR comment for one run.
pub struct Commenter {
    mode: CommentMode,
    api_url: String,
    owner: String,
    repo: String,
    token: Option<String>,
    event_name: Option<String>,
    event_path: Option<PathBuf>,
    sha: Option<String>,
    pr_input: Option<u64>,
    /// Built on first use: octocrab's client spawns a task, so it needs the tokio runtime.
    client: OnceLock<Result<Octocrab, GithubError>>,
    /// Why this commenter cannot talk to GitHub at all (missing token, bad repository).
    unusable: Option<String>,
}

impl fmt::Debug for Commenter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Commenter")
            .field("mode", &self.mode)
            .field("api_url", &self.api_url)
            .field("repository", &format_args!("{}/{}", self.owner, self.repo))
            .finish_non_exhaustive()
    }
}

/// The subset of a comment we read; octocrab's full model requires every field.
#[derive(Debug, Deserialize)]
struct ApiComment {
    id: u64,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    user: Option<ApiUser>,
    #[serde(default)]
    html_url: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ApiUser {
    login: String,
}

#[derive(Debug, Deserialize)]
struct ApiPull {
    number: u64,
    #[serde(default)]
    state: Option<String>,
}

#[derive(serde::Serialize)]
struct CommentBody<'a> {
    body: &'a str,
}

/// What a failed call was doing, for the warning text.
#[derive(Clone, Copy)]
enum Action {
    FindPr,
    CurrentUser,
    ListComments(u64),
    Create(u64),
    Update(u64),
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::FindPr => f.write_str("finding the pull request of this commit"),
            Action::CurrentUser => f.write_str("asking who the token belongs to"),
            Action::ListComments(n) => write!(f, "listing the comments of PR #{n}"),
            Action::Create(n) => write!(f, "creating the comment on PR #{n}"),
            Action::Update(n) => write!(f, "updating the comment on PR #{n}"),
        }
    }
}

impl Commenter {
    /// A commenter for these settings; `None` when the mode is `off` or there is no repository.
    ///
    /// Makes no request. A missing token or a malformed repository still gives a commenter,
    /// whose outcome then carries the warning.
    pub fn new(settings: &GithubSettings) -> Option<Commenter> {
        if settings.mode == CommentMode::Off {
            return None;
        }
        let repository = settings.repository.as_deref().map(str::trim)?;
        if repository.is_empty() {
            return None;
        }
        let token = settings
            .token
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        let mut unusable = None;
        let (owner, repo) = match split_repository(repository) {
            Some((o, r)) => (o.to_owned(), r.to_owned()),
            None => {
                unusable = Some(format!(
                    "PR comment skipped: GITHUB_REPOSITORY {repository:?} is not owner/repo"
                ));
                (String::new(), String::new())
            }
        };
        if token.is_none() && unusable.is_none() {
            unusable = Some(
                "PR comment skipped: github-token is empty (set it, or pr-comment: off)".to_owned(),
            );
        }
        let api_url = match settings.api_url.trim() {
            "" => DEFAULT_API_URL.to_owned(),
            url => url.to_owned(),
        };
        Some(Commenter {
            mode: settings.mode,
            api_url,
            owner,
            repo,
            token,
            event_name: settings.event_name.clone().filter(|e| !e.is_empty()),
            event_path: settings
                .event_path
                .clone()
                .filter(|p| !p.as_os_str().is_empty()),
            sha: settings.sha.clone().filter(|s| !s.is_empty()),
            pr_input: settings.pr_number.filter(|n| *n > 0),
            client: OnceLock::new(),
            unusable,
        })
    }

    /// Phase 1: resolves the PR number and, in sticky mode, finds our comment by `target`'s marker.
    ///
    /// Runs alongside the AWS work; never fails (problems become warnings).
    pub async fn lookup(&self, target: &str) -> Lookup {
        let lookup = self.lookup_inner(target).await;
        self.scrub_lookup(lookup)
    }

    /// Phase 2: updates the comment found in `lookup`, or creates one.
    ///
    /// Makes no request when the lookup found no PR or met a blocking problem.
    pub async fn write(&self, lookup: Lookup, body: &str) -> CommentOutcome {
        let outcome = self.write_inner(lookup, body).await;
        CommentOutcome {
            html_url: outcome.html_url,
            warnings: outcome
                .warnings
                .into_iter()
                .map(|w| self.scrub(w))
                .collect(),
            notes: outcome.notes.into_iter().map(|n| self.scrub(n)).collect(),
        }
    }

    async fn lookup_inner(&self, target: &str) -> Lookup {
        let mut out = Lookup::default();
        if let Some(why) = &self.unusable {
            out.warnings.push(why.clone());
            return out;
        }
        let crab = match self.client() {
            Ok(c) => c,
            Err(why) => {
                out.warnings.push(why.to_string());
                return out;
            }
        };
        let sticky = self.mode == CommentMode::Sticky;

        let local_pr = self.pr_from_event_or_input(&mut out);
        let push_sha = match (local_pr, self.event_name.as_deref(), self.sha.as_deref()) {
            (None, Some("push"), Some(sha)) if is_sha(sha) => Some(sha),
            _ => None,
        };
        let (pr, login) = match (local_pr, push_sha) {
            (Some(n), _) => {
                let login = if sticky {
                    Some(self.current_user(&crab).await)
                } else {
                    None
                };
                (Ok(Some(n)), login)
            }
            (None, Some(sha)) if sticky => {
                // Both are needed and independent: one round trip instead of two.
                let (pr, login) =
                    tokio::join!(self.pr_for_commit(&crab, sha), self.current_user(&crab));
                (pr, Some(login))
            }
            (None, Some(sha)) => (self.pr_for_commit(&crab, sha).await, None),
            (None, None) => (Ok(None), None),
        };

        let pr = match pr {
            Ok(Some(n)) => n,
            Ok(None) => {
                out.notes.push(format!(
                    "no pull request for this run (event {}); no PR comment",
                    self.event_name.as_deref().unwrap_or("unknown")
                ));
                return out;
            }
            Err(w) => {
                out.warnings.push(w.to_string());
                return out;
            }
        };
        out.pr_number = Some(pr);

        match login {
            None => out.writable = true,
            Some(Err(w)) => out.warnings.push(w.to_string()),
            Some(Ok(login)) => match self.find_comment(&crab, pr, &marker(target), &login).await {
                Ok(id) => {
                    out.existing_comment_id = id;
                    out.writable = true;
                }
                Err(w) => out.warnings.push(w.to_string()),
            },
        }
        out
    }

    async fn write_inner(&self, lookup: Lookup, body: &str) -> CommentOutcome {
        let mut out = CommentOutcome {
            html_url: None,
            warnings: lookup.warnings,
            notes: lookup.notes,
        };
        let Some(pr) = lookup.pr_number.filter(|_| lookup.writable) else {
            return out;
        };
        let crab = match self.client() {
            Ok(c) => c,
            Err(why) => {
                out.warnings.push(why.to_string());
                return out;
            }
        };
        let payload = CommentBody { body };
        if let Some(id) = lookup.existing_comment_id {
            let route = format!("/repos/{}/{}/issues/comments/{id}", self.owner, self.repo);
            tracing::debug!(%route, "updating the PR comment");
            match crab.patch::<ApiComment, _, _>(&route, Some(&payload)).await {
                Ok(c) => {
                    out.html_url = c.html_url;
                    return out;
                }
                // Deleted since the lookup: fall through and create a fresh one.
                Err(e) if status_of(&e) == Some(404) => {
                    tracing::debug!(id, "the comment vanished; creating a new one");
                }
                Err(e) => {
                    out.warnings
                        .push(describe(&e, Action::Update(pr)).to_string());
                    return out;
                }
            }
        }
        let route = format!("/repos/{}/{}/issues/{pr}/comments", self.owner, self.repo);
        tracing::debug!(%route, "creating the PR comment");
        match crab.post::<_, ApiComment>(&route, Some(&payload)).await {
            Ok(c) => out.html_url = c.html_url,
            Err(e) => out
                .warnings
                .push(describe(&e, Action::Create(pr)).to_string()),
        }
        out
    }

    /// The PR from the `pull_request*` payload, else the `pr-number` input.
    fn pr_from_event_or_input(&self, out: &mut Lookup) -> Option<u64> {
        let event = self.event_name.as_deref().unwrap_or_default();
        if event::is_pull_request_event(event) {
            match self.event_path.as_deref() {
                Some(path) => match event::pr_number_from_payload(path) {
                    Ok(Some(n)) => return Some(n),
                    Ok(None) => out
                        .warnings
                        .push(format!("the {event} payload names no pull request number")),
                    Err(why) => out.warnings.push(why.to_string()),
                },
                None => out.warnings.push(format!(
                    "GITHUB_EVENT_PATH is not set; cannot read the {event} payload"
                )),
            }
        }
        self.pr_input
    }

    /// `GET /repos/{o}/{r}/commits/{sha}/pulls`: an open PR first, else the first (merged) one.
    async fn pr_for_commit(&self, crab: &Octocrab, sha: &str) -> Result<Option<u64>, GithubError> {
        let route = format!("/repos/{}/{}/commits/{sha}/pulls", self.owner, self.repo);
        tracing::debug!(%route, "finding the pull request of this commit");
        let pulls: Vec<ApiPull> = crab
            .get(&route, None::<&()>)
            .await
            .map_err(|e| describe(&e, Action::FindPr))?;
        let open = pulls.iter().find(|p| p.state.as_deref() == Some("open"));
        Ok(open.or(pulls.first()).map(|p| p.number))
    }

    /// The token's login; the Actions token gets 403 here and is `github-actions[bot]`.
    async fn current_user(&self, crab: &Octocrab) -> Result<String, GithubError> {
        tracing::debug!("GET /user");
        match crab.get::<ApiUser, _, _>("/user", None::<&()>).await {
            Ok(u) => Ok(u.login),
            Err(e) if status_of(&e) == Some(403) => Ok(ACTIONS_BOT_LOGIN.to_owned()),
            Err(e) => Err(describe(&e, Action::CurrentUser)),
        }
    }

    /// Scans every page of the PR's comments for one by `login` holding the whole marker.
    async fn find_comment(
        &self,
        crab: &Octocrab,
        pr: u64,
        marker: &str,
        login: &str,
    ) -> Result<Option<u64>, GithubError> {
        let route = format!("/repos/{}/{}/issues/{pr}/comments", self.owner, self.repo);
        tracing::debug!(%route, %login, "looking for our comment");
        let fail = |e: octocrab::Error| describe(&e, Action::ListComments(pr));
        let mut page: Page<ApiComment> = crab
            .get(&route, Some(&[("per_page", "100")]))
            .await
            .map_err(fail)?;
        for n in 1.. {
            let ours = page.items.iter().find(|c| {
                c.user
                    .as_ref()
                    .is_some_and(|u| u.login.eq_ignore_ascii_case(login))
                    && c.body.as_deref().is_some_and(|b| b.contains(marker))
            });
            if let Some(c) = ours {
                tracing::debug!(id = c.id, page = n, "found our comment");
                return Ok(Some(c.id));
            }
            if n >= MAX_COMMENT_PAGES {
                break;
            }
            match crab
                .get_page::<ApiComment>(&page.next)
                .await
                .map_err(fail)?
            {
                Some(next) => page = next,
                None => break,
            }
        }
        Ok(None)
    }

    fn client(&self) -> Result<Octocrab, GithubError> {
        self.client
            .get_or_init(|| build_client(&self.api_url, self.token.as_deref().unwrap_or_default()))
            .clone()
    }

    fn scrub_lookup(&self, mut lookup: Lookup) -> Lookup {
        lookup.warnings = lookup.warnings.into_iter().map(|w| self.scrub(w)).collect();
        lookup.notes = lookup.notes.into_iter().map(|n| self.scrub(n)).collect();
        lookup
    }

    /// Defence in depth: a server could echo the token back in an error message.
    fn scrub(&self, text: String) -> String {
        match self.token.as_deref() {
            Some(t) if text.contains(t) => text.replace(t, "***"),
            _ => text,
        }
    }
}

fn build_client(api_url: &str, token: &str) -> Result<Octocrab, GithubError> {
    let bad_url = || GithubError::BadApiUrl(api_url.to_owned());
    let uri: http::Uri = api_url.parse().map_err(|_| bad_url())?;
    if uri.scheme().is_none() || uri.authority().is_none() {
        return Err(bad_url());
    }
    Octocrab::builder()
        .base_uri(uri)
        .map_err(|_| bad_url())?
        .personal_token(token.to_owned())
        .set_connect_timeout(Some(Duration::from_secs(10)))
        .set_read_timeout(Some(Duration::from_secs(30)))
        .build()
        .map_err(|e| GithubError::ClientSetup(short(&e)))
}

/// `owner/repo`, both parts in GitHub's alphabet, so they are safe in a URL path.
fn split_repository(s: &str) -> Option<(&str, &str)> {
    let (owner, repo) = s.split_once('/')?;
    let ok = |p: &str| {
        !p.is_empty()
            && p != "."
            && p != ".."
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    (ok(owner) && ok(repo)).then_some((owner, repo))
}

fn is_sha(s: &str) -> bool {
    (7..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn status_of(e: &octocrab::Error) -> Option<u16> {
    match e {
        octocrab::Error::GitHub { source, .. } => Some(source.status_code.as_u16()),
        _ => None,
    }
}

/// The error of a failed call: status and GitHub's message, or the transport error.
fn describe(e: &octocrab::Error, action: Action) -> GithubError {
    let action = action.to_string();
    match e {
        octocrab::Error::GitHub { source, .. } => {
            let message = source.message.lines().next().unwrap_or_default().trim();
            let status = source.status_code;
            if status.as_u16() == 403
                && message
                    .to_ascii_lowercase()
                    .contains("resource not accessible by integration")
            {
                GithubError::ReadOnlyToken {
                    action,
                    message: message.to_owned(),
                }
            } else {
                GithubError::Answered {
                    action,
                    status: status.to_string(),
                    message: message.to_owned(),
                }
            }
        }
        other => GithubError::Unreachable {
            action,
            reason: short(other),
        },
    }
}

/// The error and its sources on one line, without octocrab's backtraces.
fn short(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        let line = err.to_string();
        let line = line.lines().next().unwrap_or_default().trim().to_owned();
        if !line.is_empty() && !parts.iter().any(|p| p.contains(&line)) {
            parts.push(line);
        }
        cur = err.source();
    }
    let joined = parts.join(": ");
    match joined.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &joined[..i]),
        None => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comment_mode_parses_the_three_input_values() {
        assert_eq!(
            "sticky".parse::<CommentMode>().unwrap(),
            CommentMode::Sticky
        );
        assert_eq!("new".parse::<CommentMode>().unwrap(), CommentMode::New);
        assert_eq!("off".parse::<CommentMode>().unwrap(), CommentMode::Off);
        assert!("Sticky".parse::<CommentMode>().is_err());
        assert!("".parse::<CommentMode>().is_err());
        assert_eq!(CommentMode::default(), CommentMode::Sticky);
    }

    #[test]
    fn repository_must_be_owner_slash_repo() {
        assert_eq!(
            split_repository("octo/hello.rs"),
            Some(("octo", "hello.rs"))
        );
        assert_eq!(split_repository("octo"), None);
        assert_eq!(split_repository("octo/"), None);
        assert_eq!(split_repository("octo/a/b"), None);
        assert_eq!(split_repository("../x"), None);
        assert_eq!(split_repository("o/r?x=1"), None);
    }

    #[test]
    fn off_mode_or_no_repository_gives_no_commenter() {
        let mut s = GithubSettings {
            repository: Some("o/r".into()),
            token: Some("t".into()),
            ..Default::default()
        };
        assert!(Commenter::new(&s).is_some());
        s.mode = CommentMode::Off;
        assert!(Commenter::new(&s).is_none());
        s.mode = CommentMode::New;
        s.repository = None;
        assert!(Commenter::new(&s).is_none());
        s.repository = Some(" ".into());
        assert!(Commenter::new(&s).is_none());
    }

    #[test]
    fn settings_debug_hides_the_token() {
        let s = GithubSettings {
            token: Some("ghs_secretvalue".into()),
            ..Default::default()
        };
        let shown = format!("{s:?}");
        assert!(!shown.contains("ghs_secretvalue"), "{shown}");
        assert!(shown.contains("***"));
    }

    #[test]
    fn sha_check_accepts_hex_only() {
        assert!(is_sha("0123456789abcdef0123456789abcdef01234567"));
        assert!(!is_sha("main"));
        assert!(!is_sha("../../x"));
    }
}
