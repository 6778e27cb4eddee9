//! GitHub: which pull request a run belongs to, and the sticky comment on it (octocrab).
//!
//! Knows nothing of AWS. Failures here never fail a publish: they become warnings.
//! (Placeholder types until the octocrab client lands.)

use std::path::PathBuf;
use std::str::FromStr;

/// How the PR comment is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CommentMode {
    /// Create one comment, then update it on every run.
    #[default]
    Sticky,
    /// A new comment every run.
    New,
    /// No comment and no GitHub request.
    Off,
}

impl FromStr for CommentMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sticky" => Ok(Self::Sticky),
            "new" => Ok(Self::New),
            "off" => Ok(Self::Off),
            other => Err(other.to_owned()),
        }
    }
}

/// Where and how to comment.
#[derive(Debug, Clone, Default)]
pub struct GithubSettings {
    /// REST API base, path included.
    pub api_url: String,
    /// Token for the comment.
    pub token: Option<String>,
    /// `owner/repo`.
    pub repository: Option<String>,
    /// `GITHUB_EVENT_NAME`.
    pub event_name: Option<String>,
    /// `GITHUB_EVENT_PATH`.
    pub event_path: Option<PathBuf>,
    /// `GITHUB_SHA`.
    pub sha: Option<String>,
    /// The `pr-number` input.
    pub pr_number: Option<u64>,
    /// Comment mode.
    pub mode: CommentMode,
}

/// Placeholder until the octocrab client lands.
pub struct Commenter;
/// Placeholder.
pub struct Lookup;
/// What writing the comment did.
#[derive(Debug, Default)]
pub struct CommentOutcome {
    /// The comment's `html_url`.
    pub html_url: Option<String>,
    /// Warnings to annotate.
    pub warnings: Vec<String>,
}
impl Commenter {
    /// Placeholder.
    pub fn new(_: &GithubSettings) -> Option<Self> {
        None
    }
    /// Placeholder.
    pub async fn lookup(&self, _: &str) -> Lookup {
        Lookup
    }
    /// Placeholder.
    pub async fn write(&self, _: Lookup, _: &str) -> CommentOutcome {
        CommentOutcome::default()
    }
}
