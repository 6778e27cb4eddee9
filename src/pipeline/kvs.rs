//! Key value stores around the publish (SPEC "Key value stores"): one task per store, started with
//! the function reads. It finds or creates the store, reads it, writes the added and changed keys
//! before the first TestFunction of any function that uses it, then waits for every one of those
//! functions: when all of them are live it deletes the removed keys; when none is, it undoes its
//! writes; otherwise it keeps the new keys and the old ones (the old LIVE code may still read them).
//!
//! A store has no stages, so this order is the guarantee. Every write goes at the ETag the run last
//! read; a conflict re-reads, re-diffs and tries again a bounded number of times, and a conflict
//! whose re-read shows exactly our write is an answer that was lost, not another writer.
//! Functions see a store only through [`StoreUse`]. No value is ever logged or reported here.

use std::collections::BTreeSet;

use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinSet;

use crate::aws::kvs::KvsClient;
use crate::aws::{AwsError, AwsErrorCode, CloudFront};
use crate::kvs::sync::{self as ksync, Batch, Changes};
use crate::kvs::{KvsData, StoreRef};
use crate::plan::Plan;
use crate::report::kvs::StoreReport;
use crate::types::{Etag, KvsArn};

/// Write attempts per phase before a store that keeps changing under the run is given up.
const MAX_ATTEMPTS: usize = 4;

/// How far a store's sync has come, as the functions that use it see it.
#[derive(Debug, Clone)]
enum Progress {
    Pending,
    /// The ARN is known (UpdateFunction may associate it).
    Resolved(KvsArn),
    /// The puts are written (or none were needed): the tests may run.
    Written(KvsArn),
    /// The store could not be read or written; its functions must not be tested or published.
    Failed(String),
}

/// One function's use of its store: waits for the store, and tells it whether the function's new
/// code went live. Dropped without [`StoreUse::live`], it says "not live".
pub(super) struct StoreUse {
    rx: watch::Receiver<Progress>,
    go: Option<mpsc::UnboundedSender<()>>,
    done: Option<oneshot::Sender<bool>>,
}

impl StoreUse {
    /// The store's ARN, once it is known.
    pub(super) async fn arn(&mut self) -> Result<KvsArn, String> {
        match self.wait(|p| !matches!(p, Progress::Pending)).await? {
            Progress::Resolved(a) | Progress::Written(a) => Ok(a),
            Progress::Failed(m) => Err(m),
            Progress::Pending => Err("the store's sync stopped".to_owned()),
        }
    }

    /// Waits until the run's puts are in the store.
    pub(super) async fn written(&mut self) -> Result<(), String> {
        let ready = |p: &Progress| matches!(p, Progress::Written(_) | Progress::Failed(_));
        match self.wait(ready).await? {
            Progress::Written(_) => Ok(()),
            Progress::Failed(m) => Err(m),
            _ => Err("the store's sync stopped".to_owned()),
        }
    }

    /// The function passed its reads (and `if-match`) and will sync: the store may be written.
    /// A run that stops before this point leaves the store untouched.
    pub(super) fn proceed(&mut self) {
        if let Some(tx) = self.go.take() {
            let _ = tx.send(());
        }
    }

    /// The function's tested code is live.
    pub(super) fn live(&mut self) {
        if let Some(tx) = self.done.take() {
            let _ = tx.send(true);
        }
    }

    async fn wait(&mut self, ready: impl Fn(&Progress) -> bool) -> Result<Progress, String> {
        self.rx
            .wait_for(|p| ready(p))
            .await
            .map(|p| p.clone())
            .map_err(|_| "the store's sync stopped".to_owned())
    }
}

impl Drop for StoreUse {
    fn drop(&mut self) {
        if let Some(tx) = self.done.take() {
            let _ = tx.send(false);
        }
    }
}

/// Without `function-file` nothing is updated, so the store must already be the function's: a
/// run that syncs one store while DEVELOPMENT reads another would test the wrong data.
pub(super) fn check_association(
    fp: &crate::plan::FunctionPlan,
    dev: Option<&crate::aws::FunctionState>,
    store_arn: Option<&KvsArn>,
) -> Result<(), String> {
    let (Some(dev), Some(arn), None) = (dev, store_arn, fp.code()) else {
        return Ok(());
    };
    if dev.kvs_arns.contains(arn) {
        return Ok(());
    }
    let now = match dev.kvs_arns.first() {
        Some(a) => format!("is associated with {a}"),
        None => "has no key value store".to_owned(),
    };
    Err(format!(
        "DEVELOPMENT {now}, not this one, and without function-file it is not updated: give function-file to associate the store"
    ))
}

/// The run's store tasks, and each function's [`StoreUse`] (by function index).
pub(super) struct Stores {
    tasks: JoinSet<(StoreRef, StoreReport)>,
    /// `None` for functions without a store task (none, or an ARN association without data).
    pub(super) uses: Vec<Option<StoreUse>>,
}

/// What one store task works with.
struct Job {
    cf: CloudFront,
    store: StoreRef,
    wanted: Option<KvsData>,
    publish: bool,
    tx: watch::Sender<Progress>,
    /// The users' go-aheads (see [`StoreUse::proceed`]); closed when every user dropped its sender.
    go: Option<mpsc::UnboundedReceiver<()>>,
    users: Vec<oneshot::Receiver<bool>>,
}

/// Starts a task for every store that has data, or that is given by name (to find its ARN).
pub(super) fn start(plan: &Plan, cf: &CloudFront) -> Stores {
    let mut uses: Vec<Option<StoreUse>> = plan.functions().iter().map(|_| None).collect();
    let mut tasks = JoinSet::new();
    let mut started: BTreeSet<&StoreRef> = BTreeSet::new();
    for fp in plan.functions() {
        let Some(store) = fp.store() else { continue };
        let wanted = plan
            .stores()
            .iter()
            .find(|s| s.store() == store)
            .map(|s| s.data().clone());
        if (wanted.is_none() && store.arn().is_some()) || !started.insert(store) {
            continue;
        }
        let (tx, rx) = watch::channel(Progress::Pending);
        let (go_tx, go) = mpsc::unbounded_channel();
        let mut users = Vec::new();
        for (i, f) in plan.functions().iter().enumerate() {
            if f.store() == Some(store) {
                let (done, wait) = oneshot::channel();
                users.push(wait);
                uses[i] = Some(StoreUse {
                    rx: rx.clone(),
                    go: Some(go_tx.clone()),
                    done: Some(done),
                });
            }
        }
        let job = Job {
            cf: cf.clone(),
            store: store.clone(),
            wanted,
            publish: plan.publish(),
            tx,
            go: Some(go),
            users,
        };
        tasks.spawn(async move { (job.store.clone(), run(job).await) });
    }
    Stores { tasks, uses }
}

/// Waits for every store task; their reports, by store.
pub(super) async fn finish(mut stores: Stores) -> Vec<(StoreRef, StoreReport)> {
    stores.uses.clear();
    let mut out = Vec::new();
    while let Some(joined) = stores.tasks.join_next().await {
        if let Ok(r) = joined {
            out.push(r);
        }
    }
    out
}

/// One store, start to end.
async fn run(mut job: Job) -> StoreReport {
    let mut report = StoreReport {
        name: job.store.to_string(),
        ..StoreReport::default()
    };
    let arn = match resolve(&job, &mut report).await {
        Ok(a) => a,
        Err(e) => return failed(&job, report, e),
    };
    report.arn = Some(arn.to_string());
    job.tx.send_replace(Progress::Resolved(arn.clone()));
    let Some(wanted) = job.wanted.clone() else {
        job.tx.send_replace(Progress::Written(arn));
        return report;
    };
    let Some(kv) = job.cf.kvs().cloned() else {
        let e = AwsError::new(
            "ListKeys",
            AwsErrorCode::InvalidRequest,
            "this client has no key value store data plane",
        );
        return failed(&job, report, e);
    };
    let mut s = match Session::open(kv, arn.clone(), wanted).await {
        Ok(s) => s,
        Err(e) => return failed(&job, report, e),
    };
    if !job.publish {
        s.steps
            .push("publish is false: nothing written to the store".to_owned());
        job.tx.send_replace(Progress::Written(arn));
        return s.into_report(report);
    }
    if !any_proceeds(job.go.take()).await {
        s.steps
            .push("nothing written: no function that uses the store got past its reads".to_owned());
        job.tx.send_replace(Progress::Written(arn));
        return s.into_report(report);
    }
    if let Err(e) = s.converge(Phase::Puts).await {
        s.restore_after(&e.to_string()).await;
        let report = s.into_report(report);
        return failed(&job, report, e);
    }
    job.tx.send_replace(Progress::Written(arn));
    let live = users_live(std::mem::take(&mut job.users)).await;
    after_publish(&mut s, &live).await;
    s.into_report(report)
}

/// The deletes when every user is live; the restore when none is; else keep both.
async fn after_publish(s: &mut Session, live: &[bool]) {
    if live.iter().all(|l| *l) {
        if let Err(e) = s.converge(Phase::Deletes).await {
            s.notes.push(format!(
                "the removed keys could not be deleted ({e}); the next run deletes them"
            ));
        }
    } else if live.iter().any(|l| *l) {
        s.notes.push(
            "removed keys kept: not every function that uses the store was published".to_owned(),
        );
    } else {
        s.restore_after("no function that uses the store was published")
            .await;
    }
}

/// True once any user goes ahead (whichever is first: users may wait for each other's permits);
/// false when every one stopped before its sync.
async fn any_proceeds(go: Option<mpsc::UnboundedReceiver<()>>) -> bool {
    match go {
        Some(mut rx) => rx.recv().await.is_some(),
        None => false,
    }
}

/// Every user's answer; a user that ended without one was not live.
async fn users_live(users: Vec<oneshot::Receiver<bool>>) -> Vec<bool> {
    let mut out = Vec::with_capacity(users.len());
    for u in users {
        out.push(u.await.unwrap_or(false));
    }
    out
}

fn failed(job: &Job, mut report: StoreReport, e: AwsError) -> StoreReport {
    let msg = e.to_string();
    job.tx.send_replace(Progress::Failed(msg.clone()));
    report.error = Some(msg);
    report
}

/// The store's ARN: given, found by name, or (with data) created and waited for.
async fn resolve(job: &Job, report: &mut StoreReport) -> Result<KvsArn, AwsError> {
    let name = match &job.store {
        StoreRef::Arn(a) => return Ok(a.clone()),
        StoreRef::Name(n) => n,
    };
    let info = match job.cf.describe_kvs(name).await? {
        Some(info) => info,
        None if job.wanted.is_none() => {
            return Err(AwsError::new(
                "DescribeKeyValueStore",
                AwsErrorCode::EntityNotFound,
                format!(
                    "no key value store is named {name}; give key-value-store-data to create it"
                ),
            ));
        }
        None if !job.publish => {
            return Err(AwsError::new(
                "DescribeKeyValueStore",
                AwsErrorCode::EntityNotFound,
                format!(
                    "no key value store is named {name}, and publish is false: nothing is created"
                ),
            ));
        }
        None => {
            let created = job
                .cf
                .create_kvs(name, "managed by cloudfront-publish")
                .await?;
            report.created = true;
            report
                .steps
                .push(format!("CreateKeyValueStore: {name} ({})", created.status));
            job.cf.wait_kvs_ready(created).await?
        }
    };
    info.arn.parse().map_err(|_| {
        AwsError::new(
            "DescribeKeyValueStore",
            AwsErrorCode::ResponseError,
            format!("the ARN of {name} is not a key value store ARN"),
        )
    })
}

/// What a write phase does to the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Added and changed keys, before the tests.
    Puts,
    /// Everything still different, removed keys included, after the publishes.
    Deletes,
    /// This run's writes undone.
    Restore,
}

/// A store being synced: what it held when read, what it holds now, what the run wrote.
struct Session {
    kv: KvsClient,
    arn: KvsArn,
    wanted: KvsData,
    /// The store before this run's writes (rebased on every re-read for keys not yet written).
    before: KvsData,
    etag: Etag,
    now: KvsData,
    written: BTreeSet<String>,
    restored: bool,
    steps: Vec<String>,
    notes: Vec<String>,
}

impl Session {
    async fn open(kv: KvsClient, arn: KvsArn, wanted: KvsData) -> Result<Self, AwsError> {
        let (etag, now) = read(&kv, &arn).await?;
        let steps = vec![format!(
            "DescribeKeyValueStore + ListKeys: ETag {etag}, {now}"
        )];
        Ok(Self {
            kv,
            arn,
            wanted,
            before: now.clone(),
            etag,
            now,
            written: BTreeSet::new(),
            restored: false,
            steps,
            notes: Vec::new(),
        })
    }

    fn plan(&self, phase: Phase) -> Vec<Batch> {
        match phase {
            Phase::Puts => {
                ksync::put_batches(&Changes::between(&self.now, &self.wanted), &self.wanted)
            }
            Phase::Deletes => ksync::converge_batches(&self.now, &self.wanted),
            Phase::Restore => self.restore_plan().batches,
        }
    }

    /// The undo of this run's own writes (keys it did not write are not its to restore).
    fn restore_plan(&self) -> ksync::Restore {
        let mut ours = Changes::between(&self.before, &self.wanted);
        ours.added.retain(|k| self.written.contains(k));
        ours.changed.retain(|k| self.written.contains(k));
        ksync::restore_plan(&self.before, &self.wanted, &ours, &self.now)
    }

    /// Writes `phase`'s batches until the store holds them; conflicts re-read and re-plan.
    async fn converge(&mut self, phase: Phase) -> Result<(), AwsError> {
        for _ in 0..MAX_ATTEMPTS {
            let batches = self.plan(phase);
            if batches.is_empty() {
                return Ok(());
            }
            let mut moved = false;
            for b in &batches {
                match self.kv.update(self.arn.as_str(), &self.etag, b).await {
                    Ok(etag) => self.wrote(b, etag),
                    Err(e) if e.is_store_conflict() => {
                        moved = !self.reread(b).await?;
                        if moved {
                            break;
                        }
                    }
                    Err(e) => return Err(e),
                }
            }
            if !moved {
                return Ok(());
            }
        }
        Err(AwsError::new(
            "UpdateKeys",
            AwsErrorCode::ConflictException,
            format!(
                "the store kept changing under the run ({MAX_ATTEMPTS} attempts); never overwritten blindly"
            ),
        ))
    }

    fn wrote(&mut self, b: &Batch, etag: Etag) {
        self.steps.push(format!(
            "UpdateKeys: {} put, {} deleted (ETag {} -> {etag})",
            b.puts.len(),
            b.deletes.len(),
            self.etag
        ));
        ksync::apply(&mut self.now, b);
        self.written.extend(b.puts.iter().map(|(k, _)| k.clone()));
        self.written.extend(b.deletes.iter().cloned());
        self.etag = etag;
    }

    /// After a conflict on `b`: re-reads; true when the store holds `b` (our answer was lost).
    async fn reread(&mut self, b: &Batch) -> Result<bool, AwsError> {
        let (etag, now) = read(&self.kv, &self.arn).await?;
        let ours = ksync::holds(&now, b);
        self.steps.push(if ours {
            format!(
                "UpdateKeys: its answer was lost; the store holds this run's write (ETag {etag})"
            )
        } else {
            format!(
                "UpdateKeys: the store changed under the run (ETag {etag}); re-read and re-diffed"
            )
        });
        if ours {
            self.written.extend(b.puts.iter().map(|(k, _)| k.clone()));
            self.written.extend(b.deletes.iter().cloned());
        }
        ksync::rebase(&mut self.before, &now, &self.written);
        self.etag = etag;
        self.now = now;
        Ok(ours)
    }

    /// Undoes this run's writes, and says how that went.
    async fn restore_after(&mut self, why: &str) {
        if self.written.is_empty() {
            return;
        }
        let skipped = self.restore_plan().skipped;
        match self.converge(Phase::Restore).await {
            Ok(()) => {
                self.restored = true;
                self.notes.push(format!(
                    "restored ({why}): the keys this run wrote are back as they were"
                ));
            }
            Err(e) => self.notes.push(format!(
                "could not restore ({e}): keys this run wrote: {}",
                self.written.iter().cloned().collect::<Vec<_>>().join(", ")
            )),
        }
        if !skipped.is_empty() {
            self.notes.push(format!(
                "not restored, another writer changed them since: {}",
                skipped.join(", ")
            ));
        }
    }

    fn into_report(self, mut report: StoreReport) -> StoreReport {
        report.etag = Some(self.etag.to_string());
        report.changes = Changes::between(&self.before, &self.wanted);
        report.restored = self.restored;
        report.written = !self.written.is_empty() && !self.restored;
        report.steps.extend(self.steps);
        report.notes.extend(self.notes);
        report
    }
}

/// The store's ETag and keys. DescribeKeyValueStore and ListKeys go together (one round trip);
/// when the count they report differs, a write came between them, and the store is read again in
/// order (ETag first), so the keys are never older than the ETag a write will be sent at.
async fn read(kv: &KvsClient, arn: &KvsArn) -> Result<(Etag, KvsData), AwsError> {
    let (v, data) = tokio::try_join!(kv.describe(arn.as_str()), kv.list(arn.as_str()))?;
    if usize::try_from(v.item_count).is_ok_and(|n| n == data.len()) {
        return Ok((v.etag, data));
    }
    let v = kv.describe(arn.as_str()).await?;
    Ok((v.etag, kv.list(arn.as_str()).await?))
}
