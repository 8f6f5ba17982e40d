//! The thread every command is forked from (Linux; elsewhere `run` calls its closure in place). A command and its sandbox's init carry
//! `PR_SET_PDEATHSIG` (SIGKILL) so that nothing the sidecar starts outlives it, and the kernel sends
//! that signal when the *thread* that forked the process ends, not when the sidecar does
//! (prctl(2): the "parent" is the creating thread). The tokio threads are no such anchor: a worker
//! that hands its core away in `block_in_place` (the git guard's scan before a sandboxed command)
//! finishes its task and goes back to the blocking pool, which ends it after 10 idle seconds, and
//! every command it had forked died with it: a sandboxed build or test run was killed with SIGKILL
//! ten seconds in. So the forks happen here, on one thread made for it that never returns: its end
//! is the sidecar's end.
//!
//! Architecture invariant: every process the sidecar starts with the parent-death signal set (the
//! vfork-like clone of spawn.rs, the sandbox's own clone in linux_start.rs, the launcher through
//! std's or portable-pty's spawn) is forked inside `run`.
#[cfg(target_os = "linux")]
pub use thread::run;

/// Elsewhere there is no parent-death signal, so `f` runs where it is called.
#[cfg(not(target_os = "linux"))]
pub fn run<R>(f: impl FnOnce() -> R) -> R {
    f()
}

#[cfg(target_os = "linux")]
mod thread {
    use std::collections::VecDeque;
    use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Condvar, Mutex, Once};

    type Job = Box<dyn FnOnce() + Send + 'static>;

    /// The jobs waiting for the spawner thread, and its wake-up. Not a channel: std's channels are
    /// compiled once per message type, about 10 KB each in the static sidecar, and the sidecar has a
    /// size budget (scripts/platforms.mjs).
    static QUEUE: Mutex<VecDeque<Job>> = Mutex::new(VecDeque::new());
    static QUEUED: Condvar = Condvar::new();

    /// Starts the spawner thread, once.
    fn start() {
        static STARTED: Once = Once::new();
        STARTED.call_once(|| {
            std::thread::Builder::new()
                .name("spawner".into())
                // A sandboxed command's init and the command itself are forks of this thread, so they
                // run on a copy of its stack up to their exec, glibc's execvpe included, which copies
                // the argument list onto the stack to run a script without `#!` through /bin/sh: as
                // big as a main thread's default, like spawn.rs's (reserved; only touched pages count).
                .stack_size(8 << 20)
                .spawn(serve)
                .expect("cannot start the sidecar's spawner thread");
        });
    }

    /// The spawner thread: runs the queued jobs in order, forever. A job cannot end it: each one
    /// catches its own panic (`run`).
    fn serve() -> ! {
        loop {
            let job = {
                let mut queue = QUEUE.lock().unwrap_or_else(|e| e.into_inner());
                loop {
                    match queue.pop_front() {
                        Some(job) => break job,
                        None => queue = QUEUED.wait(queue).unwrap_or_else(|e| e.into_inner()),
                    }
                }
            };
            job();
        }
    }

    /// Runs `f` on the spawner thread and returns what it returned, blocking the calling thread until
    /// then (as the vfork-like clones block it anyway). A panic in `f` is resumed here.
    pub fn run<R: Send>(f: impl FnOnce() -> R + Send) -> R {
        start();
        let mut slot: Option<std::thread::Result<R>> = None;
        let done = AtomicBool::new(false);
        let caller = std::thread::current();
        {
            let (slot, done) = (&mut slot, &done);
            let job = move || {
                *slot = Some(catch_unwind(AssertUnwindSafe(f)));
                // The job's last use of this frame: once `done` is seen, the caller may return.
                done.store(true, Ordering::Release);
                caller.unpark();
            };
            let job: Box<dyn FnOnce() + Send + '_> = Box::new(job);
            // SAFETY: the job borrows from this frame (`slot`, `done`, and whatever `f` and `R`
            // borrow), and this function returns only once `done` is set, after which the job touches
            // none of it (it only unparks through its own handle of this thread, then is dropped, which
            // drops nothing borrowed: `f` was consumed, its panic caught). The spawner thread never
            // ends and runs every job it is given, so `done` is set. That is all the 'static bound
            // stands for here.
            let job: Job =
                unsafe { std::mem::transmute::<Box<dyn FnOnce() + Send + '_>, Job>(job) };
            QUEUE
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push_back(job);
            QUEUED.notify_one();
        }
        while !done.load(Ordering::Acquire) {
            std::thread::park();
        }
        match slot.take() {
            Some(Ok(value)) => value,
            Some(Err(panic)) => resume_unwind(panic),
            None => unreachable!("the job sets its result before it says it is done"),
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::panic::catch_unwind;

    #[test]
    fn runs_on_one_long_lived_thread_and_returns_borrowed_results() {
        let here = std::thread::current().id();
        let first = run(|| std::thread::current().id());
        assert_ne!(first, here);
        let text = String::from("borrowed");
        let slice: &str = run(|| &text[..4]);
        assert_eq!(slice, "borr");
        // From other threads, later: the same thread every time.
        let ids: Vec<_> = (0..4)
            .map(|_| std::thread::spawn(|| run(|| std::thread::current().id())))
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect();
        assert!(ids.iter().all(|id| *id == first));
    }

    #[test]
    fn a_panicking_job_panics_the_caller_and_leaves_the_thread_serving() {
        let before = run(|| std::thread::current().id());
        let caught = catch_unwind(|| run(|| panic!("job failed")));
        let message = caught.unwrap_err();
        assert_eq!(message.downcast_ref::<&str>(), Some(&"job failed"));
        assert_eq!(run(|| std::thread::current().id()), before);
    }
}
