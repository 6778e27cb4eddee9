//! Distributions in the store: create, read, update (at the ETag), delete (only disabled) and
//! list, keeping each DistributionConfig as sent; and what they mean for functions: only a
//! published function can be associated, a used function cannot be deleted, and its published
//! stages report DEPLOYED.
//!
//! Not for: parsing or rendering the config (see `cloudfront::distributions`).

use crate::emulator::errors::ApiError;
use crate::emulator::store::records::{
    DistributionRecord, DistributionSpec, FunctionStatus, function_name_of,
};
use crate::emulator::store::{State, Store, new_etag, now_ms};
use crate::types::{Etag, FunctionName};

/// A distribution as an answer shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistributionView {
    /// The record.
    pub record: DistributionRecord,
    /// `InProgress` in the answer of a create or update, `Deployed` afterwards.
    pub status: &'static str,
}

fn no_such(id: &str) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "NoSuchDistribution",
        format!("The distribution {id} does not exist."),
    )
}

/// A distribution id in the service's style (`E` + 13 of `A-Z0-9`).
fn new_id(rng: &mut fastrand::Rng) -> String {
    new_etag(rng, None).as_str().to_owned()
}

fn new_domain(rng: &mut fastrand::Rng) -> String {
    let tail: String = (0..13)
        .map(|_| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[rng.usize(..36)]))
        .collect();
    format!("d{tail}.cloudfront.net")
}

/// Every association must name a function with a LIVE stage: the service refuses to run an
/// unpublished function.
fn check_associations(st: &State, spec: &DistributionSpec) -> Result<(), ApiError> {
    for association in &spec.associations {
        let published = function_name_of(&association.function_arn)
            .and_then(|name| name.parse::<FunctionName>().ok())
            .and_then(|name| st.functions.get(&name))
            .is_some_and(|f| f.live.is_some());
        if !published {
            return Err(ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "InvalidFunctionAssociation",
                format!(
                    "The function {} is not published (no LIVE stage); publish it before associating it with a cache behavior.",
                    association.function_arn
                ),
            ));
        }
    }
    Ok(())
}

/// Whether the function `name` is used by a distribution (or marked used by a test).
pub(super) fn function_in_use(st: &State, name: &FunctionName) -> bool {
    st.functions.get(name).is_some_and(|f| f.in_use)
        || st
            .distributions
            .values()
            .any(|d| d.uses_function(name.as_str()))
}

/// Brings every published function's status in line with the distributions that use it.
pub(super) fn refresh_statuses(st: &mut State) {
    let names: Vec<FunctionName> = st.functions.keys().cloned().collect();
    for name in names {
        let status = FunctionStatus::published(function_in_use(st, &name));
        if let Some(record) = st.functions.get_mut(&name)
            && let Some(live) = &mut record.live
        {
            live.status = status;
            if record.development.status != FunctionStatus::Unpublished {
                record.development.status = status;
            }
        }
    }
}

impl Store {
    /// CreateDistribution.
    pub async fn create_distribution(
        &self,
        spec: DistributionSpec,
    ) -> Result<DistributionView, ApiError> {
        let (view, snapshot) = {
            let mut st = self.lock();
            if st
                .distributions
                .values()
                .any(|d| d.spec.caller_reference == spec.caller_reference)
            {
                return Err(ApiError::new(
                    axum::http::StatusCode::CONFLICT,
                    "DistributionAlreadyExists",
                    "The caller reference is associated with another distribution.",
                ));
            }
            check_associations(&st, &spec)?;
            let record = DistributionRecord {
                id: new_id(&mut st.rng),
                etag: new_etag(&mut st.rng, None),
                domain_name: new_domain(&mut st.rng),
                last_modified_ms: now_ms(),
                spec,
            };
            st.distributions.insert(record.id.clone(), record.clone());
            refresh_statuses(&mut st);
            let view = DistributionView {
                record,
                status: "InProgress",
            };
            (view, self.snapshot(&mut st))
        };
        self.persist(snapshot).await;
        Ok(view)
    }

    /// GetDistribution / GetDistributionConfig.
    pub fn get_distribution(&self, id: &str) -> Result<DistributionView, ApiError> {
        let st = self.lock();
        st.distributions
            .get(id)
            .map(|record| DistributionView {
                record: record.clone(),
                status: "Deployed",
            })
            .ok_or_else(|| no_such(id))
    }

    /// UpdateDistribution: replaces the config at the ETag; the CallerReference stays.
    pub async fn update_distribution(
        &self,
        id: &str,
        if_match: &Etag,
        spec: DistributionSpec,
    ) -> Result<DistributionView, ApiError> {
        let (view, snapshot) = {
            let mut st = self.lock();
            let record = st.distributions.get(id).ok_or_else(|| no_such(id))?;
            check_etag(&record.etag, if_match)?;
            if record.spec.caller_reference != spec.caller_reference {
                return Err(ApiError::new(
                    axum::http::StatusCode::BAD_REQUEST,
                    "IllegalUpdate",
                    "The CallerReference of a distribution cannot change.",
                ));
            }
            check_associations(&st, &spec)?;
            let State {
                distributions, rng, ..
            } = &mut *st;
            let record = distributions.get_mut(id).ok_or_else(|| no_such(id))?;
            record.etag = new_etag(rng, Some(&record.etag));
            record.last_modified_ms = now_ms();
            record.spec = spec;
            let record = record.clone();
            refresh_statuses(&mut st);
            let view = DistributionView {
                record,
                status: "InProgress",
            };
            (view, self.snapshot(&mut st))
        };
        self.persist(snapshot).await;
        Ok(view)
    }

    /// DeleteDistribution: at the ETag, and only a disabled distribution.
    pub async fn delete_distribution(&self, id: &str, if_match: &Etag) -> Result<(), ApiError> {
        let snapshot = {
            let mut st = self.lock();
            let record = st.distributions.get(id).ok_or_else(|| no_such(id))?;
            check_etag(&record.etag, if_match)?;
            if record.spec.enabled {
                return Err(ApiError::new(
                    axum::http::StatusCode::CONFLICT,
                    "DistributionNotDisabled",
                    format!(
                        "The distribution {id} is not disabled; disable it before deleting it."
                    ),
                ));
            }
            st.distributions.remove(id);
            refresh_statuses(&mut st);
            self.snapshot(&mut st)
        };
        self.persist(snapshot).await;
        Ok(())
    }

    /// ListDistributions: after `marker` (an id), at most `max_items`, and the next marker.
    pub fn list_distributions(
        &self,
        marker: Option<&str>,
        max_items: usize,
    ) -> (Vec<DistributionView>, Option<String>) {
        let st = self.lock();
        let mut page: Vec<DistributionView> = st
            .distributions
            .values()
            .filter(|d| marker.is_none_or(|m| d.id.as_str() > m))
            .take(max_items + 1)
            .map(|record| DistributionView {
                record: record.clone(),
                status: "Deployed",
            })
            .collect();
        let next = if page.len() > max_items {
            page.truncate(max_items);
            page.last().map(|v| v.record.id.clone())
        } else {
            None
        };
        (page, next)
    }
}

fn check_etag(current: &Etag, if_match: &Etag) -> Result<(), ApiError> {
    if current == if_match {
        Ok(())
    } else {
        Err(ApiError::precondition_failed(
            "The If-Match version is missing or not valid for the resource.",
        ))
    }
}
