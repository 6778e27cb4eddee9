//! Which pull request the workflow event names, read from the `GITHUB_EVENT_PATH` payload.
//!
//! Pure file reading and JSON picking; no network. The push case (PR associated with a commit)
//! needs the API and lives in the parent module.

use std::path::Path;

use super::GithubError;

/// Events whose payload carries the pull request itself.
pub(crate) fn is_pull_request_event(event_name: &str) -> bool {
    matches!(event_name, "pull_request" | "pull_request_target")
}

/// The PR number in a `pull_request`/`pull_request_target` payload.
///
/// `Err` says (in one line, naming the file) why the payload could not be used.
pub(crate) fn pr_number_from_payload(path: &Path) -> Result<Option<u64>, GithubError> {
    let raw = std::fs::read(path).map_err(|e| GithubError::PayloadUnreadable {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    let json: serde_json::Value =
        serde_json::from_slice(&raw).map_err(|e| GithubError::PayloadNotJson {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
    Ok(json
        .pointer("/pull_request/number")
        .or_else(|| json.get("number"))
        .and_then(serde_json::Value::as_u64)
        .filter(|n| *n > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(json: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), json).unwrap();
        f
    }

    #[test]
    fn reads_the_number_of_the_pull_request_object() {
        let f = payload(r#"{"action":"opened","number":7,"pull_request":{"number":7}}"#);
        assert_eq!(pr_number_from_payload(f.path()), Ok(Some(7)));
        let f = payload(r#"{"pull_request":{"number":12}}"#);
        assert_eq!(pr_number_from_payload(f.path()), Ok(Some(12)));
    }

    #[test]
    fn payload_without_a_number_gives_none() {
        let f = payload(r#"{"ref":"refs/heads/main"}"#);
        assert_eq!(pr_number_from_payload(f.path()), Ok(None));
    }

    #[test]
    fn unreadable_or_invalid_payload_names_the_file() {
        let f = payload("not json");
        let err = pr_number_from_payload(f.path()).unwrap_err().to_string();
        assert!(err.contains(&f.path().display().to_string()), "{err}");
        let err = pr_number_from_payload(Path::new("/nonexistent/event.json"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("/nonexistent/event.json"), "{err}");
    }

    #[test]
    fn only_pull_request_events_carry_the_pr() {
        assert!(is_pull_request_event("pull_request"));
        assert!(is_pull_request_event("pull_request_target"));
        assert!(!is_pull_request_event("push"));
        assert!(!is_pull_request_event("workflow_dispatch"));
    }
}
