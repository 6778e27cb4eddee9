//! The key value store seam: the control plane (DescribeKeyValueStore by name, CreateKeyValueStore,
//! the wait for READY) through the CloudFront client, and the data plane (DescribeKeyValueStore for
//! the ETag, ListKeys, UpdateKeys) through `aws-sdk-cloudfrontkeyvaluestore`, signed with SigV4A.
//!
//! The data plane's endpoint rules put the account id in front of a custom endpoint's host
//! (`https://123456789012.127.0.0.1:4566`), which resolves nowhere; [`AsGiven`] keeps a configured
//! endpoint as given and everything else (the SigV4A scheme and its region set) as the rules say.
//! Not for: deciding what to write (that is `kvs::sync` and the pipeline). Values pass through here
//! in requests and responses only; nothing here logs or formats one.

use std::time::Duration;

use aws_sdk_cloudfrontkeyvaluestore as kvs_sdk;
use kvs_sdk::config::endpoint::{
    DefaultResolver, Endpoint, EndpointFuture, Params, ResolveEndpoint,
};
use kvs_sdk::types::{DeleteKeyRequestListItem, PutKeyRequestListItem};

use super::error::modeled_errors;
use super::{AwsError, AwsErrorCode, CloudFront, parse_etag, retry_config, timeout_config};
use crate::kvs::{Batch, KvsData};
use crate::types::Etag;

/// A store as the control plane describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreInfo {
    /// The store's name.
    pub name: String,
    /// Its ARN (what functions associate and the data plane addresses).
    pub arn: String,
    /// `PROVISIONING`, `READY` or `PROVISIONING_FAILED`.
    pub status: String,
}

/// A store's content version as the data plane describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreVersion {
    /// The ETag that UpdateKeys must send as If-Match.
    pub etag: Etag,
    /// Number of keys.
    pub item_count: u64,
}

/// How long [`CloudFront::wait_kvs_ready`] polls before giving up: provisioning takes seconds.
const READY_TIMEOUT: Duration = Duration::from_secs(120);

impl CloudFront {
    /// DescribeKeyValueStore (control plane); `None` when no store has that name.
    pub async fn describe_kvs(&self, name: &str) -> Result<Option<StoreInfo>, AwsError> {
        match self
            .client
            .describe_key_value_store()
            .name(name)
            .send()
            .await
        {
            Ok(out) => Ok(out.key_value_store().map(store_info)),
            Err(e) => {
                let err = AwsError::from_sdk("DescribeKeyValueStore", e);
                if err.code == AwsErrorCode::EntityNotFound {
                    Ok(None)
                } else {
                    Err(err)
                }
            }
        }
    }

    /// CreateKeyValueStore. A 409 EntityAlreadyExists (another run, or our own create whose answer
    /// was lost and retried) is answered with the store that exists.
    pub async fn create_kvs(&self, name: &str, comment: &str) -> Result<StoreInfo, AwsError> {
        let res = self
            .client
            .create_key_value_store()
            .name(name)
            .comment(comment)
            .send()
            .await;
        match res {
            Ok(out) => out.key_value_store().map(store_info).ok_or_else(|| {
                AwsError::new(
                    "CreateKeyValueStore",
                    AwsErrorCode::ResponseError,
                    "the response described no store".to_owned(),
                )
            }),
            Err(e) => {
                let err = AwsError::from_sdk("CreateKeyValueStore", e);
                if err.code != AwsErrorCode::EntityAlreadyExists {
                    return Err(err);
                }
                self.describe_kvs(name).await?.ok_or(err)
            }
        }
    }

    /// Polls DescribeKeyValueStore until the store is READY, with a growing interval and a bound.
    pub async fn wait_kvs_ready(&self, store: StoreInfo) -> Result<StoreInfo, AwsError> {
        let mut store = store;
        let mut delay = Duration::from_millis(200);
        let deadline = tokio::time::Instant::now() + READY_TIMEOUT;
        loop {
            match store.status.as_str() {
                "READY" => return Ok(store),
                "PROVISIONING_FAILED" => {
                    return Err(AwsError::new(
                        "CreateKeyValueStore",
                        AwsErrorCode::ProvisioningFailed,
                        format!("key value store {} could not be provisioned", store.name),
                    ));
                }
                _ => {}
            }
            if tokio::time::Instant::now() + delay > deadline {
                return Err(AwsError::new(
                    "DescribeKeyValueStore",
                    AwsErrorCode::Timeout,
                    format!(
                        "key value store {} is still {} after {} s",
                        store.name,
                        store.status,
                        READY_TIMEOUT.as_secs()
                    ),
                ));
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(5));
            store = self.describe_kvs(&store.name).await?.ok_or_else(|| {
                AwsError::new(
                    "DescribeKeyValueStore",
                    AwsErrorCode::EntityNotFound,
                    format!(
                        "key value store {} disappeared while provisioning",
                        store.name
                    ),
                )
            })?;
        }
    }
}

fn store_info(s: &aws_sdk_cloudfront::types::KeyValueStore) -> StoreInfo {
    StoreInfo {
        name: s.name().to_owned(),
        arn: s.arn().to_owned(),
        status: s.status().unwrap_or("READY").to_owned(),
    }
}

/// Resolves as the SDK's rules do, then puts a configured endpoint back as it was given.
#[derive(Debug, Default)]
pub struct AsGiven(DefaultResolver);

impl ResolveEndpoint for AsGiven {
    fn resolve_endpoint<'a>(&'a self, params: &'a Params) -> EndpointFuture<'a> {
        let resolved = self.0.resolve_endpoint(params);
        EndpointFuture::new(async move {
            let endpoint: Endpoint = resolved.await?;
            Ok(match params.endpoint() {
                Some(given) => endpoint
                    .into_builder()
                    .url(given.trim_end_matches('/').to_owned())
                    .build(),
                None => endpoint,
            })
        })
    }
}

/// The data-plane client the pipeline uses.
#[derive(Debug, Clone)]
pub struct KvsClient {
    client: kvs_sdk::Client,
}

impl KvsClient {
    /// From the run's SDK config (credentials, region); `endpoint_url` (the `endpoint-url` input)
    /// wins over `AWS_ENDPOINT_URL*`, which the SDK config reads itself.
    pub fn new(sdk: &aws_config::SdkConfig, endpoint_url: Option<&str>) -> Self {
        let mut conf = kvs_sdk::config::Builder::from(sdk);
        if let Some(url) = endpoint_url {
            conf = conf.endpoint_url(url);
        }
        Self::from_conf(conf.build())
    }

    /// From an explicit SDK config (tests and `demo`); the endpoint is kept as given.
    pub fn from_conf(conf: kvs_sdk::Config) -> Self {
        let conf = conf
            .to_builder()
            .endpoint_resolver(AsGiven::default())
            .retry_config(retry_config())
            .timeout_config(timeout_config())
            .build();
        Self {
            client: kvs_sdk::Client::from_conf(conf),
        }
    }

    /// DescribeKeyValueStore (data plane): the ETag to write at.
    pub async fn describe(&self, arn: &str) -> Result<StoreVersion, AwsError> {
        let out = self
            .client
            .describe_key_value_store()
            .kvs_arn(arn)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DescribeKeyValueStore", e))?;
        Ok(StoreVersion {
            etag: parse_etag("DescribeKeyValueStore", Some(out.e_tag()))?,
            item_count: u64::try_from(out.item_count()).unwrap_or(0),
        })
    }

    /// ListKeys, every page.
    pub async fn list(&self, arn: &str) -> Result<KvsData, AwsError> {
        let mut data = KvsData::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .client
                .list_keys()
                .kvs_arn(arn)
                .max_results(50)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("ListKeys", e))?;
            for item in out.items() {
                data.insert(item.key().to_owned(), item.value().to_owned());
            }
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => return Ok(data),
            }
        }
    }

    /// UpdateKeys at `if_match`; returns the store's new ETag.
    pub async fn update(
        &self,
        arn: &str,
        if_match: &Etag,
        batch: &Batch,
    ) -> Result<Etag, AwsError> {
        let build = |e: kvs_sdk::error::BuildError| {
            AwsError::new("UpdateKeys", AwsErrorCode::InvalidRequest, e.to_string())
        };
        let mut req = self
            .client
            .update_keys()
            .kvs_arn(arn)
            .if_match(if_match.as_str());
        for (k, v) in &batch.puts {
            req = req.puts(
                PutKeyRequestListItem::builder()
                    .key(k)
                    .value(v)
                    .build()
                    .map_err(build)?,
            );
        }
        for k in &batch.deletes {
            req = req.deletes(
                DeleteKeyRequestListItem::builder()
                    .key(k)
                    .build()
                    .map_err(build)?,
            );
        }
        let out = req
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("UpdateKeys", e))?;
        parse_etag("UpdateKeys", Some(out.e_tag()))
    }
}

impl AwsError {
    /// True when a store write met another ETag than it sent (409 ConflictException, or a 412).
    pub fn is_store_conflict(&self) -> bool {
        matches!(
            self.code,
            AwsErrorCode::ConflictException | AwsErrorCode::PreconditionFailed
        )
    }
}

modeled_errors! {
    aws_sdk_cloudfront::operation::describe_key_value_store::DescribeKeyValueStoreError {
        is_entity_not_found => EntityNotFound,
        is_invalid_argument => InvalidArgument,
    }
    aws_sdk_cloudfront::operation::create_key_value_store::CreateKeyValueStoreError {
        is_entity_already_exists => EntityAlreadyExists,
        is_entity_limit_exceeded => EntityLimitExceeded,
        is_invalid_argument => InvalidArgument,
    }
    // The data plane's two reads model the same two errors.
    kvs_sdk::operation::describe_key_value_store::DescribeKeyValueStoreError {
        is_access_denied_exception => AccessDeniedException,
        is_resource_not_found_exception => ResourceNotFoundException,
    }
    kvs_sdk::operation::list_keys::ListKeysError {
        is_access_denied_exception => AccessDeniedException,
        is_resource_not_found_exception => ResourceNotFoundException,
    }
    kvs_sdk::operation::update_keys::UpdateKeysError {
        is_conflict_exception => ConflictException,
        is_service_quota_exceeded_exception => ServiceQuotaExceededException,
        is_access_denied_exception => AccessDeniedException,
        is_resource_not_found_exception => ResourceNotFoundException,
        is_validation_exception => ValidationException,
    }
}
