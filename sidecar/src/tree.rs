//! A command's whole process tree, and how it is ended. On Unix the command leads its own session,
//! so its process group is the tree (`killpg`). On Windows the command is put in a Job Object at
//! start, and ending the job ends every process in it, grandchildren included. A pipe command is
//! started suspended and resumed only once it is in the job, so nothing it starts escapes the job;
//! portable-pty's ConPTY spawn takes no creation flags, so a ConPTY command is put in the job right
//! after it starts (what it starts in those microseconds escapes).

/// How hard to end the tree: `Term` asks first where the platform can ask (Unix SIGTERM); Windows
/// has no such request for console programs, so there both end the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Term,
    Kill,
}

#[cfg(unix)]
pub use unix::Tree;
#[cfg(windows)]
pub use windows::{resume_suspended, Tree, KILLED_EXIT_CODE};

#[cfg(unix)]
mod unix {
    use super::End;
    use nix::sys::signal::{killpg, Signal};
    use nix::unistd::Pid;

    /// The command's process group (its pid: it leads its own session).
    #[derive(Debug)]
    pub struct Tree {
        pgid: i32,
    }

    impl Tree {
        pub fn group(pgid: i32) -> Self {
            Tree { pgid }
        }

        pub fn end(&self, how: End) {
            if self.pgid > 0 {
                let sig = match how {
                    End::Term => Signal::SIGTERM,
                    End::Kill => Signal::SIGKILL,
                };
                let _ = killpg(Pid::from_raw(self.pgid), sig);
            }
        }
    }
}

#[cfg(windows)]
mod windows {
    use super::End;
    use std::os::windows::io::RawHandle;
    use windows_sys::Win32::Foundation::{CloseHandle, HANDLE};
    use windows_sys::Win32::System::JobObjects::{
        AssignProcessToJobObject, CreateJobObjectW, JobObjectExtendedLimitInformation,
        SetInformationJobObject, TerminateJobObject, JOBOBJECT_EXTENDED_LIMIT_INFORMATION,
        JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
    };

    /// The exit code processes ended through the job report (what `taskkill /f` reports too).
    pub const KILLED_EXIT_CODE: u32 = 1;

    /// A Job Object holding the command and everything it starts. Closing the last handle ends them
    /// too (KILL_ON_JOB_CLOSE), so a sidecar that dies takes its commands with it.
    #[derive(Debug)]
    pub struct Tree {
        job: HANDLE,
    }

    // The handle is a kernel object handle, usable from any thread.
    unsafe impl Send for Tree {}
    unsafe impl Sync for Tree {}

    impl Tree {
        /// A new job with `process` in it.
        pub fn adopt(process: RawHandle) -> std::io::Result<Self> {
            unsafe {
                let job = CreateJobObjectW(std::ptr::null(), std::ptr::null());
                if job.is_null() {
                    return Err(std::io::Error::last_os_error());
                }
                let tree = Tree { job };
                let mut info: JOBOBJECT_EXTENDED_LIMIT_INFORMATION = std::mem::zeroed();
                info.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
                if SetInformationJobObject(
                    job,
                    JobObjectExtendedLimitInformation,
                    &info as *const _ as *const core::ffi::c_void,
                    std::mem::size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>() as u32,
                ) == 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                if AssignProcessToJobObject(job, process as HANDLE) == 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(tree)
            }
        }

        pub fn end(&self, _how: End) {
            unsafe {
                TerminateJobObject(self.job, KILLED_EXIT_CODE);
            }
        }
    }

    impl Drop for Tree {
        fn drop(&mut self) {
            unsafe {
                CloseHandle(self.job);
            }
        }
    }

    /// Resumes the threads of process `pid`, started with CREATE_SUSPENDED (a new process has one:
    /// its main thread). std and tokio keep the main thread's handle to themselves, so the thread is
    /// found by a Toolhelp snapshot. Fails when there was none to resume: the command would never
    /// run.
    pub fn resume_suspended(pid: u32) -> std::io::Result<()> {
        use windows_sys::Win32::Foundation::INVALID_HANDLE_VALUE;
        use windows_sys::Win32::System::Diagnostics::ToolHelp::{
            CreateToolhelp32Snapshot, Thread32First, Thread32Next, TH32CS_SNAPTHREAD, THREADENTRY32,
        };
        use windows_sys::Win32::System::Threading::{
            OpenThread, ResumeThread, THREAD_SUSPEND_RESUME,
        };
        unsafe {
            let snap = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
            if snap == INVALID_HANDLE_VALUE {
                return Err(std::io::Error::last_os_error());
            }
            let mut entry: THREADENTRY32 = std::mem::zeroed();
            entry.dwSize = std::mem::size_of::<THREADENTRY32>() as u32;
            let mut resumed = 0;
            let mut more = Thread32First(snap, &mut entry) != 0;
            while more {
                if entry.th32OwnerProcessID == pid {
                    let thread = OpenThread(THREAD_SUSPEND_RESUME, 0, entry.th32ThreadID);
                    if !thread.is_null() {
                        if ResumeThread(thread) != u32::MAX {
                            resumed += 1;
                        }
                        CloseHandle(thread);
                    }
                }
                more = Thread32Next(snap, &mut entry) != 0;
            }
            CloseHandle(snap);
            if resumed == 0 {
                return Err(std::io::Error::other(
                    "its main thread could not be found to start it",
                ));
            }
            Ok(())
        }
    }
}
