//! GitHub: which pull request a run belongs to, and the sticky comment on it (octocrab).
//!
//! Knows nothing of AWS. Failures here never fail a publish: they become warnings.
