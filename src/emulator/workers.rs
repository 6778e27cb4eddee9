//! The threads TestFunction runs functions on: one per core, each keeping its own ready engine
//! (see `runtime`), fed from one queue. The runtime is synchronous and CPU-bound; a fixed set of
//! threads keeps it off the async workers without a thread per request in flight, so the engines
//! and their caches stay warm.
//!
//! Not for: what a function does (see `runtime`).

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of threads running jobs in arrival order. When it is dropped, the threads finish
/// the jobs already queued and end (they are not joined). A function that runs to its time budget
/// holds its thread meanwhile, so with two threads two such functions delay every other
/// TestFunction by up to the budget.
#[derive(Debug)]
pub struct Workers {
    queue: mpsc::Sender<Job>,
}

impl Workers {
    /// One thread per available core (at least two); an error when a thread could not be started
    /// (those already started then end).
    pub fn start() -> std::io::Result<Self> {
        let threads = std::thread::available_parallelism()
            .map(usize::from)
            .unwrap_or(2)
            .max(2);
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for i in 0..threads {
            let receiver = Arc::clone(&receiver);
            std::thread::Builder::new()
                .name(format!("testfunction-{i}"))
                .spawn(move || {
                    loop {
                        // The lock is held only while waiting for the next job.
                        let next = match receiver.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = next else { return };
                        // A job that panics drops its result sender (its caller gets None);
                        // the thread goes on.
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                })?;
        }
        Ok(Self { queue: sender })
    }

    /// Runs `job` on one of the threads and waits for its result; `None` if it could not run
    /// (the threads are gone, or the job panicked).
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            // The caller went away (its client hung up): nobody waits for this result.
            if !done.is_closed() {
                let _ = done.send(job());
            }
        });
        self.queue.send(job).ok()?;
        result.await.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_run_off_the_calling_thread_and_return_their_result() {
        let workers = Workers::start().unwrap();
        let caller = std::thread::current().id();
        let (value, thread) = workers
            .run(|| (6 * 7, std::thread::current().id()))
            .await
            .unwrap();
        assert_eq!(value, 42);
        assert_ne!(thread, caller);
    }

    #[tokio::test]
    async fn a_panicking_job_is_none_and_the_threads_go_on() {
        let workers = Workers::start().unwrap();
        let threads = std::thread::available_parallelism()
            .map_or(2, usize::from)
            .max(2);
        for _ in 0..threads {
            assert_eq!(workers.run(|| -> u8 { panic!("job") }).await, None);
        }
        assert_eq!(workers.run(|| 1).await, Some(1));
    }
}
