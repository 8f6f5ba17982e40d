//! Windows: the writes the host makes on the model's behalf (apply_patch), with the promises of the
//! Unix writer (fs_write.rs), built on NT handle-relative calls.
//!
//! Each writable root is opened once by its path. Below it every directory is opened one component
//! at a time with `NtCreateFile` relative to its parent's handle (`RootDirectory`), with
//! `FILE_OPEN_REPARSE_POINT`: no symbolic link, junction or mount point is ever followed, and one
//! found on the path is refused; each handle's own path (`FileNameInformation`) must also continue
//! the root's with the components walked (Wine 8.0 opens through Unix symbolic links whatever the
//! flags; this is what notices there). Those directory handles are held without `FILE_SHARE_DELETE` until
//! the request ends, so no directory on the path can be renamed, replaced or moved (into `.git`, say)
//! while the changes land. Names are checked before anything is opened: `.git` in every spelling
//! NTFS maps to it (case, trailing dots and spaces, `GIT~1`, `.git::$DATA`), alternate data streams,
//! device names, 8.3 short names, drive-relative and UNC paths; and every directory on the way is
//! checked for being a git directory. A new file is written to a temporary file in its directory,
//! flushed, and renamed into place through its handle (`FileRenameInformation` with the directory
//! handle as `RootDirectory`); a file being replaced or removed is first renamed aside, so a failure
//! puts everything back. Bytes land exactly as given (CRLF included).
use crate::exec::RpcError;
use crate::names::{is_git_name, split_windows_rel};
use crate::protocol::{
    codes, FsApplyChangesParams, FsApplyChangesResult, FsChange, FsCheckWriteParams, SandboxMode,
    WritePolicy,
};
use std::fs::File;
use std::io::{self, Write};
use std::os::windows::fs::OpenOptionsExt;
use std::os::windows::io::{AsRawHandle, FromRawHandle};
use std::path::{Component, Path, Prefix};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use windows_sys::Wdk::Foundation::OBJECT_ATTRIBUTES;
use windows_sys::Wdk::Storage::FileSystem::{
    FileBasicInformation, FileDispositionInformation, FileNameInformation, FileRenameInformation,
    NtCreateFile, NtQueryFullAttributesFile, NtQueryInformationFile, NtSetInformationFile,
    FILE_BASIC_INFORMATION, FILE_CREATE, FILE_DIRECTORY_FILE, FILE_DISPOSITION_INFORMATION,
    FILE_NAME_INFORMATION, FILE_NETWORK_OPEN_INFORMATION, FILE_NON_DIRECTORY_FILE, FILE_OPEN,
    FILE_OPEN_FOR_BACKUP_INTENT, FILE_OPEN_REPARSE_POINT, FILE_RENAME_INFORMATION,
    FILE_SYNCHRONOUS_IO_NONALERT,
};
use windows_sys::Win32::Foundation::{
    RtlNtStatusToDosError, HANDLE, OBJ_CASE_INSENSITIVE, UNICODE_STRING,
};
use windows_sys::Win32::Storage::FileSystem::{
    DELETE, FILE_ATTRIBUTE_ARCHIVE, FILE_ATTRIBUTE_DIRECTORY, FILE_ATTRIBUTE_HIDDEN,
    FILE_ATTRIBUTE_NORMAL, FILE_ATTRIBUTE_NOT_CONTENT_INDEXED, FILE_ATTRIBUTE_READONLY,
    FILE_ATTRIBUTE_REPARSE_POINT, FILE_ATTRIBUTE_SYSTEM, FILE_FLAG_BACKUP_SEMANTICS,
    FILE_GENERIC_WRITE, FILE_LIST_DIRECTORY, FILE_READ_ATTRIBUTES, FILE_SHARE_DELETE,
    FILE_SHARE_READ, FILE_SHARE_WRITE, FILE_TRAVERSE, FILE_WRITE_ATTRIBUTES, SYNCHRONIZE,
};
use windows_sys::Win32::System::IO::IO_STATUS_BLOCK;

/// More changes than this in one request is refused (a patch that size is not an edit).
pub const MAX_CHANGES: usize = 10_000;
const MAX_ROOTS: usize = 64;

const ERROR_FILE_NOT_FOUND: i32 = 2;
const ERROR_PATH_NOT_FOUND: i32 = 3;
const ERROR_SHARING_VIOLATION: i32 = 32;
const ERROR_FILE_EXISTS: i32 = 80;
const ERROR_ALREADY_EXISTS: i32 = 183;
const ERROR_DIRECTORY: i32 = 267;

fn refused(reason: &'static str, message: String) -> RpcError {
    RpcError::with_reason(
        codes::WRITE_REFUSED,
        reason,
        format!("nothing was written: {message}"),
    )
}

fn failed(message: String) -> RpcError {
    RpcError::with_reason(
        codes::WRITE_FAILED,
        "io",
        format!("nothing was changed: {message}"),
    )
}

fn invalid(message: String) -> RpcError {
    RpcError::new(codes::INVALID_PARAMS, message)
}

fn git_refusal(display: &str) -> RpcError {
    refused(
        "git-dir",
        format!(
            "{display}: writing inside a git directory is not allowed (git runs hooks and configuration from there). Ask the user to make this change themselves"
        ),
    )
}

/// Checks one request path; its components (split on `/` and `\`).
fn check_rel(path: &str) -> Result<Vec<String>, RpcError> {
    split_windows_rel(path).map_err(|why| match why {
        Some(why) => refused("bad-path", format!("{path:?}: {why}")),
        None => git_refusal(path),
    })
}

fn not_found(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(ERROR_FILE_NOT_FOUND) | Some(ERROR_PATH_NOT_FOUND)
    )
}

// ---------------------------------------------------------------------------------------------
// NT calls on handles

fn status(st: i32) -> io::Result<()> {
    if st >= 0 {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(
            unsafe { RtlNtStatusToDosError(st) } as i32,
        ))
    }
}

fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

/// How `nt_open` opens a name.
struct How {
    access: u32,
    share: u32,
    disposition: u32,
    options: u32,
}

/// Share mode of the directories on a path: others may read and write in them, but not rename or
/// delete them while Tack writes.
const HOLD: u32 = FILE_SHARE_READ | FILE_SHARE_WRITE;
const ALL: u32 = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;
const DIR_ACCESS: u32 = FILE_LIST_DIRECTORY | FILE_TRAVERSE | FILE_READ_ATTRIBUTES | SYNCHRONIZE;
const NO_FOLLOW: u32 =
    FILE_OPEN_REPARSE_POINT | FILE_SYNCHRONOUS_IO_NONALERT | FILE_OPEN_FOR_BACKUP_INTENT;

/// A name (one component, no separators) relative to the directory `dir`, compared
/// case-insensitively as Win32 does; `f` gets the OBJECT_ATTRIBUTES.
fn with_name<T>(
    dir: &File,
    name: &str,
    f: impl FnOnce(&OBJECT_ATTRIBUTES) -> io::Result<T>,
) -> io::Result<T> {
    let w = wide(name);
    if w.len() * 2 > u16::MAX as usize {
        return Err(io::Error::from_raw_os_error(206)); // ERROR_FILENAME_EXCED_RANGE
    }
    let us = UNICODE_STRING {
        Length: (w.len() * 2) as u16,
        MaximumLength: (w.len() * 2) as u16,
        Buffer: w.as_ptr() as *mut u16,
    };
    let attrs = OBJECT_ATTRIBUTES {
        Length: std::mem::size_of::<OBJECT_ATTRIBUTES>() as u32,
        RootDirectory: dir.as_raw_handle() as HANDLE,
        ObjectName: &us,
        Attributes: OBJ_CASE_INSENSITIVE,
        SecurityDescriptor: std::ptr::null(),
        SecurityQualityOfService: std::ptr::null(),
    };
    f(&attrs)
}

/// Opens `name` relative to the directory `dir`, never following a reparse point.
fn nt_open(dir: &File, name: &str, how: How) -> io::Result<File> {
    with_name(dir, name, |attrs| {
        let mut handle: HANDLE = std::ptr::null_mut();
        let mut iosb: IO_STATUS_BLOCK = unsafe { std::mem::zeroed() };
        status(unsafe {
            NtCreateFile(
                &mut handle,
                how.access,
                attrs,
                &mut iosb,
                std::ptr::null(),
                FILE_ATTRIBUTE_NORMAL,
                how.share,
                how.disposition,
                how.options | NO_FOLLOW,
                std::ptr::null(),
                0,
            )
        })?;
        Ok(unsafe { File::from_raw_handle(handle as _) })
    })
}

/// The attributes of the directory entry `name` in `dir`, as a directory listing shows them. Windows
/// reports a reparse point on the handle opened with FILE_OPEN_REPARSE_POINT already; Wine 8 opens
/// through a Unix symbolic link whatever the flags and marks it a reparse point only here.
fn entry_attributes(dir: &File, name: &str) -> io::Result<u32> {
    with_name(dir, name, |attrs| {
        let mut info: FILE_NETWORK_OPEN_INFORMATION = unsafe { std::mem::zeroed() };
        status(unsafe { NtQueryFullAttributesFile(attrs, &mut info) })?;
        Ok(info.FileAttributes)
    })
}

/// The path of the open file `f` on its volume, as components (the last one with the case it is
/// stored in).
fn stored_path(f: &File) -> Option<Vec<String>> {
    let mut buf = vec![0u32; 8192];
    let mut iosb: IO_STATUS_BLOCK = unsafe { std::mem::zeroed() };
    status(unsafe {
        NtQueryInformationFile(
            f.as_raw_handle() as HANDLE,
            &mut iosb,
            buf.as_mut_ptr() as *mut core::ffi::c_void,
            (buf.len() * 4) as u32,
            FileNameInformation,
        )
    })
    .ok()?;
    let info = buf.as_ptr() as *const FILE_NAME_INFORMATION;
    let len = unsafe { (*info).FileNameLength } as usize / 2;
    let head = std::mem::offset_of!(FILE_NAME_INFORMATION, FileName);
    if head + len * 2 > buf.len() * 4 {
        return None;
    }
    let units =
        unsafe { std::slice::from_raw_parts((info as *const u8).add(head) as *const u16, len) };
    let full = String::from_utf16(units).ok()?;
    Some(
        full.split('\\')
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect(),
    )
}

/// Whether the open `f` is where the walk meant to be (`expected`: lower-cased components from the
/// volume's root): the handle's own path ends with them. Windows opens a reparse point itself, so
/// this always holds there; Wine 8.0 opens through a Unix symbolic link whatever the flags, and this
/// is what notices. A file system that cannot say passes.
fn is_where(f: &File, expected: &[String]) -> bool {
    match stored_path(f) {
        Some(actual) => {
            let actual: Vec<String> = actual.iter().map(|c| c.to_lowercase()).collect();
            actual.ends_with(expected)
        }
        None => true,
    }
}

fn attributes(f: &File) -> io::Result<u32> {
    let mut info: FILE_BASIC_INFORMATION = unsafe { std::mem::zeroed() };
    let mut iosb: IO_STATUS_BLOCK = unsafe { std::mem::zeroed() };
    status(unsafe {
        NtQueryInformationFile(
            f.as_raw_handle() as HANDLE,
            &mut iosb,
            &mut info as *mut _ as *mut core::ffi::c_void,
            std::mem::size_of::<FILE_BASIC_INFORMATION>() as u32,
            FileBasicInformation,
        )
    })?;
    Ok(info.FileAttributes)
}

fn set_attributes(f: &File, attrs: u32) -> io::Result<()> {
    // Zero times mean "leave as they are".
    let mut info: FILE_BASIC_INFORMATION = unsafe { std::mem::zeroed() };
    info.FileAttributes = if attrs == 0 {
        FILE_ATTRIBUTE_NORMAL
    } else {
        attrs
    };
    let mut iosb: IO_STATUS_BLOCK = unsafe { std::mem::zeroed() };
    status(unsafe {
        NtSetInformationFile(
            f.as_raw_handle() as HANDLE,
            &mut iosb,
            &info as *const _ as *const core::ffi::c_void,
            std::mem::size_of::<FILE_BASIC_INFORMATION>() as u32,
            FileBasicInformation,
        )
    })
}

/// Renames the open file `f` to `name` in the directory `dir` (a handle, not a path).
fn rename_to(f: &File, dir: &File, name: &str, replace: bool) -> io::Result<()> {
    let w = wide(name);
    let head = std::mem::offset_of!(FILE_RENAME_INFORMATION, FileName);
    let bytes = head + w.len() * 2;
    // u64 storage keeps the structure aligned.
    let mut buf = vec![0u64; bytes.div_ceil(8) + 1];
    let info = buf.as_mut_ptr() as *mut FILE_RENAME_INFORMATION;
    unsafe {
        (*info).Anonymous.ReplaceIfExists = replace;
        (*info).RootDirectory = dir.as_raw_handle() as HANDLE;
        (*info).FileNameLength = (w.len() * 2) as u32;
        std::ptr::copy_nonoverlapping(w.as_ptr(), (info as *mut u8).add(head) as *mut u16, w.len());
    }
    let mut iosb: IO_STATUS_BLOCK = unsafe { std::mem::zeroed() };
    status(unsafe {
        NtSetInformationFile(
            f.as_raw_handle() as HANDLE,
            &mut iosb,
            info as *const core::ffi::c_void,
            bytes as u32,
            FileRenameInformation,
        )
    })
}

/// Deletes the open file `f` (opened with DELETE access); a read-only one too.
fn delete_open(f: &File) -> io::Result<()> {
    if let Ok(a) = attributes(f) {
        if a & FILE_ATTRIBUTE_READONLY != 0 {
            let _ = set_attributes(f, a & !FILE_ATTRIBUTE_READONLY);
        }
    }
    let info = FILE_DISPOSITION_INFORMATION { DeleteFile: true };
    let mut iosb: IO_STATUS_BLOCK = unsafe { std::mem::zeroed() };
    status(unsafe {
        NtSetInformationFile(
            f.as_raw_handle() as HANDLE,
            &mut iosb,
            &info as *const _ as *const core::ffi::c_void,
            std::mem::size_of::<FILE_DISPOSITION_INFORMATION>() as u32,
            FileDispositionInformation,
        )
    })
}

/// Attributes of `name` in `dir` (the entry itself, never what a link leads to).
fn stat_in(dir: &File, name: &str) -> io::Result<u32> {
    let f = nt_open(
        dir,
        name,
        How {
            access: FILE_READ_ATTRIBUTES | SYNCHRONIZE,
            share: ALL,
            disposition: FILE_OPEN,
            options: 0,
        },
    )?;
    Ok(attributes(&f)? | entry_attributes(dir, name).unwrap_or(0))
}

/// Opens the directory `name` in `dir` and holds it (no rename or delete by others meanwhile).
fn open_dir_in(dir: &File, name: &str) -> io::Result<File> {
    nt_open(
        dir,
        name,
        How {
            access: DIR_ACCESS,
            share: HOLD,
            disposition: FILE_OPEN,
            options: FILE_DIRECTORY_FILE,
        },
    )
}

fn mkdir_in(dir: &File, name: &str) -> io::Result<File> {
    nt_open(
        dir,
        name,
        How {
            access: DIR_ACCESS,
            share: HOLD,
            disposition: FILE_CREATE,
            options: FILE_DIRECTORY_FILE,
        },
    )
}

/// Opens the entry `name` in `dir` to rename or delete it.
fn open_for_delete(dir: &File, name: &str, directory: bool) -> io::Result<File> {
    nt_open(
        dir,
        name,
        How {
            access: DELETE | SYNCHRONIZE | FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES,
            share: ALL,
            disposition: FILE_OPEN,
            options: if directory { FILE_DIRECTORY_FILE } else { 0 },
        },
    )
}

fn is_dir(attrs: u32) -> bool {
    attrs & FILE_ATTRIBUTE_DIRECTORY != 0
}

fn is_link(attrs: u32) -> bool {
    attrs & FILE_ATTRIBUTE_REPARSE_POINT != 0
}

// ---------------------------------------------------------------------------------------------
// Resolution

struct Root {
    dir: Arc<File>,
    /// The root's path, canonical, as lower-cased components (for matching).
    key: Vec<String>,
    /// The same without the drive or share: the path on its volume.
    on_volume: Vec<String>,
    shown: String,
}

/// A path as components for comparison: drive letters and server names as `c:` / `\\server\share`
/// whether or not the path is verbatim (`\\?\`), everything lower-cased (NTFS compares names
/// case-insensitively).
fn path_key(p: &Path) -> Vec<(String, String)> {
    p.components()
        .filter_map(|c| match c {
            Component::Prefix(pre) => Some(match pre.kind() {
                Prefix::Disk(d) | Prefix::VerbatimDisk(d) => {
                    format!("{}:", (d as char).to_ascii_lowercase())
                }
                Prefix::UNC(s, sh) | Prefix::VerbatimUNC(s, sh) => {
                    format!("\\\\{}\\{}", s.to_string_lossy(), sh.to_string_lossy())
                }
                _ => pre.as_os_str().to_string_lossy().into_owned(),
            }),
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .map(|s| (s.to_lowercase(), s))
        .collect()
}

/// Where one path resolved to.
struct Resolved {
    root: usize,
    /// Directory components from the root to the file's directory.
    rel: Vec<String>,
    /// Held handles: the root, then each existing directory of `rel` in order.
    chain: Vec<Arc<File>>,
    name: String,
    display: String,
    /// The root's path on its volume (lower-cased components).
    root_on_volume: Vec<String>,
}

impl Resolved {
    /// Where the directory of depth `depth` (below the root) should be on the volume.
    fn place_at(&self, depth: usize) -> Vec<String> {
        let mut p = self.root_on_volume.clone();
        p.extend(self.rel[..depth].iter().map(|c| c.to_lowercase()));
        p
    }
    /// Where the file's directory should be on the volume.
    fn place(&self) -> Vec<String> {
        self.place_at(self.rel.len())
    }
    fn existing(&self) -> usize {
        self.chain.len() - 1
    }
    fn dir(&self) -> &Arc<File> {
        self.chain.last().expect("the root is always there")
    }
    fn missing(&self) -> &[String] {
        &self.rel[self.existing()..]
    }
    fn real_rel(&self) -> Vec<String> {
        let mut all = self.rel.clone();
        all.push(self.name.clone());
        all
    }
    fn key(&self) -> (usize, Vec<String>) {
        (
            self.root,
            self.real_rel().iter().map(|c| c.to_lowercase()).collect(),
        )
    }
}

struct Roots {
    cwd: Vec<(String, String)>,
    roots: Vec<Root>,
    /// Tack's own directory (real path, lower-cased components, as `path_key` gives them), never
    /// written for the model even inside a root.
    tack_home: Option<Vec<String>>,
}

/// A root's path on its volume when its handle cannot say: its canonical path's components,
/// lower-cased, without the drive.
fn on_volume(p: &str) -> Vec<String> {
    std::fs::canonicalize(p)
        .unwrap_or_else(|_| Path::new(p).to_path_buf())
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().to_lowercase()),
            _ => None,
        })
        .collect()
}

fn open_root(p: &str) -> Result<(File, Vec<(String, String)>), RpcError> {
    if !Path::new(p).is_absolute() {
        return Err(invalid(format!(
            "paths must be absolute (C:\\work), not {p:?}"
        )));
    }
    let f = std::fs::OpenOptions::new()
        .access_mode(DIR_ACCESS)
        .share_mode(HOLD)
        .custom_flags(FILE_FLAG_BACKUP_SEMANTICS)
        .open(p)
        .map_err(|e| failed(format!("cannot open the directory {p}: {e}")))?;
    let attrs = attributes(&f).map_err(|e| failed(format!("{p}: {e}")))?;
    if !is_dir(attrs) {
        return Err(failed(format!("{p} is not a directory")));
    }
    // The root itself may be reached through links (it is trusted); below it nothing is followed.
    let real = std::fs::canonicalize(p).unwrap_or_else(|_| Path::new(p).to_path_buf());
    Ok((f, path_key(&real)))
}

impl Roots {
    fn open(cwd: &str, policy: &WritePolicy) -> Result<Roots, RpcError> {
        if policy.writable_roots.len() > MAX_ROOTS {
            return Err(invalid(format!(
                "at most {MAX_ROOTS} writable roots, got {}",
                policy.writable_roots.len()
            )));
        }
        let (_, cwd_key) = open_root(cwd)?;
        let mut roots = Vec::new();
        for r in &policy.writable_roots {
            let (f, key) = open_root(r)?;
            let key: Vec<String> = key.into_iter().map(|(l, _)| l).collect();
            // As the handle names itself, so its children's names (which continue it) compare
            // alike, short names and all; else the canonical path.
            let on_volume = stored_path(&f)
                .map(|p| p.iter().map(|c| c.to_lowercase()).collect())
                .unwrap_or_else(|| on_volume(r));
            roots.push(Root {
                dir: Arc::new(f),
                on_volume,
                key,
                shown: r.clone(),
            });
        }
        Ok(Roots {
            cwd: cwd_key,
            roots,
            tack_home: crate::sandbox::tack_home_real()
                .map(|h| path_key(&h).into_iter().map(|(l, _)| l).collect()),
        })
    }

    fn describe_roots(&self) -> String {
        if self.roots.is_empty() {
            return "there are none".into();
        }
        self.roots
            .iter()
            .map(|r| r.shown.clone())
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn resolve(&self, display: &str, is_write: bool) -> Result<Resolved, RpcError> {
        let parts = check_rel(display)?;
        let mut abs = self.cwd.clone();
        abs.extend(parts.iter().map(|p| (p.to_lowercase(), p.clone())));
        let (i, root) = self
            .roots
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.key.len() <= abs.len() && r.key.iter().zip(&abs).all(|(a, (b, _))| a == b)
            })
            .max_by_key(|(_, r)| r.key.len())
            .ok_or_else(|| {
                refused(
                    "outside-roots",
                    format!(
                        "{display}: it is outside the writable roots ({})",
                        self.describe_roots()
                    ),
                )
            })?;
        let mut rel: Vec<String> = abs[root.key.len()..]
            .iter()
            .map(|(_, o)| o.clone())
            .collect();
        let Some(name) = rel.pop() else {
            return Err(refused(
                "bad-path",
                format!("{display}: names a writable root itself, not a file"),
            ));
        };
        // The part between the root and cwd comes from the file system; check it as well.
        if rel.iter().chain([&name]).any(|c| is_git_name(c)) {
            return Err(git_refusal(display));
        }
        // No link is followed below a root (each one is refused below), so the lexical path is
        // where the write lands; a short name for a directory on the way fails the walk's check.
        if let Some(home) = &self.tack_home {
            if abs.len() >= home.len() && abs.iter().zip(home).all(|((l, _), h)| l == h) {
                return Err(refused(
                    "tack-home",
                    format!(
                        "{display}: it is inside Tack's own directory ({}), which holds Tack's configuration and state; Tack does not write there for the model. Ask the user to make this change themselves",
                        crate::sandbox::tack_home()
                            .map(|h| h.display().to_string())
                            .unwrap_or_default()
                    ),
                ));
            }
        }
        let mut chain = vec![root.dir.clone()];
        for (k, comp) in rel.iter().enumerate() {
            let at = || {
                if k == 0 {
                    comp.clone()
                } else {
                    rel[..=k].join("\\")
                }
            };
            match open_dir_in(chain.last().expect("root"), comp) {
                Ok(f) => {
                    let parent = chain.last().expect("root");
                    let attrs = attributes(&f).map_err(|e| failed(format!("{display}: {e}")))?
                        | entry_attributes(parent, comp).unwrap_or(0);
                    let mut place = root.on_volume.clone();
                    place.extend(rel[..=k].iter().map(|c| c.to_lowercase()));
                    if is_link(attrs) || !is_where(&f, &place) {
                        return Err(refused(
                            "symlink",
                            format!("{display}: {} is a symbolic link, junction or mount point; Tack follows none in paths it writes on Windows (edit the real location instead)", at()),
                        ));
                    }
                    chain.push(Arc::new(f));
                }
                Err(e) if not_found(&e) => break,
                Err(e) if e.raw_os_error() == Some(ERROR_DIRECTORY) => {
                    return Err(refused(
                        "not-a-directory",
                        format!("{display}: a parent of the path ({}) is not a directory", at()),
                    ))
                }
                Err(e) if e.raw_os_error() == Some(ERROR_SHARING_VIOLATION) => {
                    return Err(failed(format!("{display}: {} is being renamed or deleted by another program right now; try again", at())))
                }
                Err(e) => return Err(failed(format!("{display}: cannot open {}: {e}", at()))),
            }
        }
        let r = Resolved {
            root: i,
            rel,
            chain,
            name,
            display: display.to_string(),
            root_on_volume: root.on_volume.clone(),
        };
        if r.missing().is_empty() {
            let entry = nt_open(
                r.dir(),
                &r.name,
                How {
                    access: FILE_READ_ATTRIBUTES | SYNCHRONIZE,
                    share: ALL,
                    disposition: FILE_OPEN,
                    options: 0,
                },
            );
            if let Ok(f) = entry {
                let mut place = r.place();
                place.push(r.name.to_lowercase());
                let link = attributes(&f).map(is_link).unwrap_or(false)
                    || entry_attributes(r.dir(), &r.name)
                        .map(is_link)
                        .unwrap_or(false);
                if (link && is_write) || !is_where(&f, &place) {
                    return Err(refused(
                        "symlink",
                        format!("{display}: it is a symbolic link or junction; Tack does not write through links on Windows (edit the file it points to instead)"),
                    ));
                }
            }
        }
        Ok(r)
    }

    /// Whether the directory at `dir[..depth]` is a git directory, on disk or once `adding` (every
    /// path this request creates, as lower-cased components from the root) has landed.
    fn is_git_dir(&self, handle: Option<&File>, dir: &[String], adding: &[Vec<String>]) -> bool {
        let on_disk = |name: &str, want_dir: bool| -> bool {
            handle
                .and_then(|h| stat_in(h, name).ok())
                .is_some_and(|a| is_dir(a) == want_dir)
        };
        let dir: Vec<String> = dir.iter().map(|c| c.to_lowercase()).collect();
        let added = |name: &str, as_dir: bool| -> bool {
            adding.iter().any(|p| {
                p.len() > dir.len()
                    && p[..dir.len()] == *dir
                    && p[dir.len()] == name
                    && (p.len() > dir.len() + 1) == as_dir
            })
        };
        (on_disk("HEAD", false) || added("head", false))
            && ((on_disk("objects", true) || added("objects", true))
                && (on_disk("refs", true) || added("refs", true))
                || on_disk("commondir", false)
                || added("commondir", false))
    }

    /// Refuses any target inside a git directory of any name (a bare repository, the target of a
    /// `gitdir:` file), including one this request would complete.
    fn check_git_dirs(
        &self,
        targets: &[&Resolved],
        adding: &[(usize, Vec<String>)],
    ) -> Result<(), RpcError> {
        let mut seen = std::collections::HashSet::new();
        for t in targets {
            let adding_here: Vec<Vec<String>> = adding
                .iter()
                .filter(|(r, _)| *r == t.root)
                .map(|(_, p)| p.clone())
                .collect();
            for depth in 0..=t.rel.len() {
                let dir = &t.rel[..depth];
                let key: Vec<String> = dir.iter().map(|c| c.to_lowercase()).collect();
                if !seen.insert((t.root, key)) {
                    continue;
                }
                let handle = t.chain.get(depth).map(|a| a.as_ref());
                if self.is_git_dir(handle, dir, &adding_here) {
                    return Err(git_refusal(&t.display));
                }
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// The two methods

fn policy_gate(policy: &WritePolicy, first: Option<&str>) -> Result<(), RpcError> {
    if policy.mode == SandboxMode::ReadOnly {
        let what = first.map(|p| format!(" ({p})")).unwrap_or_default();
        return Err(refused(
            "read-only",
            format!("the sandbox is read-only, so no file may be written or removed{what}. Ask the user to change the sandbox mode or make the change themselves"),
        ));
    }
    Ok(())
}

/// `fs/checkWrite`: would these writes and removals be allowed right now? Writes nothing.
pub fn check_write(p: &FsCheckWriteParams) -> Result<(), RpcError> {
    let deletes = p.deletes.clone().unwrap_or_default();
    if p.writes.len() + deletes.len() > MAX_CHANGES {
        return Err(invalid(format!("at most {MAX_CHANGES} paths per request")));
    }
    for path in p.writes.iter().chain(&deletes) {
        check_rel(path)?;
    }
    policy_gate(
        &p.policy,
        p.writes.first().or(deletes.first()).map(String::as_str),
    )?;
    let roots = Roots::open(&p.cwd, &p.policy)?;
    let mut targets = Vec::new();
    for w in &p.writes {
        targets.push(roots.resolve(w, true)?);
    }
    for d in &deletes {
        targets.push(roots.resolve(d, false)?);
    }
    let adding: Vec<(usize, Vec<String>)> =
        targets[..p.writes.len()].iter().map(|t| t.key()).collect();
    roots.check_git_dirs(&targets.iter().collect::<Vec<_>>(), &adding)
}

enum Op {
    Write { contents: String },
    Remove,
}

struct Step {
    at: Resolved,
    op: Op,
    /// The replaced file's attributes (read-only, hidden, ...), kept on the new file.
    attrs: Option<u32>,
    /// The file takes the name's case as the request gives it (a move that only changes case);
    /// otherwise a replaced file keeps the name it has.
    recase: bool,
    /// The directory the file lands in, once its missing parents exist.
    dir: Option<Arc<File>>,
    /// Directories created for this step, held until the end.
    made: Vec<Arc<File>>,
    temp: Option<File>,
}

static NONCE: AtomicU64 = AtomicU64::new(0);

fn side_name(tag: &str) -> String {
    let n = NONCE.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(".tack-{tag}-{}-{n}-{t:x}", std::process::id())
}

/// Undo log entries, applied in reverse on failure.
enum Undo {
    /// A directory we created: (its parent, its name).
    Mkdir(Arc<File>, String),
    /// A file moved aside (the handle follows it): put it back under `name` in `dir`.
    Aside {
        file: File,
        dir: Arc<File>,
        name: String,
    },
    /// A file we renamed into place: remove it.
    Placed(File, String),
}

const KEPT_ATTRIBUTES: u32 = FILE_ATTRIBUTE_READONLY
    | FILE_ATTRIBUTE_HIDDEN
    | FILE_ATTRIBUTE_SYSTEM
    | FILE_ATTRIBUTE_ARCHIVE
    | FILE_ATTRIBUTE_NOT_CONTENT_INDEXED;

fn write_temp(dir: &File, contents: &[u8], attrs: Option<u32>) -> io::Result<File> {
    let name = side_name("new");
    let mut f = nt_open(
        dir,
        &name,
        How {
            access: FILE_GENERIC_WRITE | DELETE | FILE_READ_ATTRIBUTES,
            share: 0,
            disposition: FILE_CREATE,
            options: FILE_NON_DIRECTORY_FILE,
        },
    )?;
    let result = (|| -> io::Result<()> {
        f.write_all(contents)?;
        f.sync_all()?;
        if let Some(a) = attrs {
            set_attributes(&f, a & KEPT_ATTRIBUTES)?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => Ok(f),
        Err(e) => {
            let _ = delete_open(&f);
            Err(e)
        }
    }
}

/// Puts everything back; returns what could not be undone. Every handle that could keep a new
/// directory from being removed is gone by now.
fn roll_back(undo: Vec<Undo>) -> Vec<String> {
    let mut problems = Vec::new();
    for u in undo.into_iter().rev() {
        let (what, r) = match &u {
            Undo::Placed(f, name) => (format!("removing {name}"), delete_open(f)),
            Undo::Aside { file, dir, name } => (
                format!("restoring {name}"),
                rename_to(file, dir, name, false),
            ),
            Undo::Mkdir(parent, name) => (
                format!("removing the new directory {name}"),
                open_for_delete(parent, name, true).and_then(|f| delete_open(&f)),
            ),
        };
        if let Err(e) = r {
            problems.push(format!("{what}: {e}"));
        }
    }
    problems
}

/// `fs/applyChanges`: every change lands, or none does.
pub fn apply_changes(p: &FsApplyChangesParams) -> Result<FsApplyChangesResult, RpcError> {
    if p.changes.len() > MAX_CHANGES {
        return Err(invalid(format!(
            "at most {MAX_CHANGES} changes per request, got {}",
            p.changes.len()
        )));
    }
    // (path, Some(contents) = write, whether the written file takes the name's case as given)
    let mut plan: Vec<(String, Option<String>, bool)> = Vec::new();
    let same_file = |a: &str, b: &str| {
        let lower = |p: &str| check_rel(p).map(|c| c.join("\\").to_lowercase()).ok();
        lower(a).is_some() && lower(a) == lower(b)
    };
    for c in &p.changes {
        match c {
            FsChange::Write { path, contents } => {
                plan.push((path.clone(), Some(contents.clone()), false))
            }
            FsChange::Delete { path } => plan.push((path.clone(), None, false)),
            // A move to the same name in another case (`readme.md` to `README.md`) is one file on
            // Windows: written in place under the new name.
            FsChange::Move { from, to, contents } if same_file(from, to) => {
                plan.push((to.clone(), Some(contents.clone()), from != to))
            }
            FsChange::Move { from, to, contents } => {
                plan.push((to.clone(), Some(contents.clone()), false));
                plan.push((from.clone(), None, false));
            }
        }
    }
    for (path, _, _) in &plan {
        check_rel(path)?;
    }
    policy_gate(&p.policy, plan.first().map(|(p, _, _)| p.as_str()))?;
    let roots = Roots::open(&p.cwd, &p.policy)?;

    // 1. Resolve and check everything; nothing is touched yet.
    let mut steps: Vec<Step> = Vec::new();
    let mut keys = std::collections::HashMap::new();
    for (path, contents, recase) in plan {
        let is_write = contents.is_some();
        let at = roots.resolve(&path, is_write)?;
        if let Some(earlier) = keys.insert(at.key(), path.clone()) {
            return Err(refused(
                "changed-twice",
                format!("{path}: changed twice in one patch (also as {earlier})"),
            ));
        }
        let attrs = if at.missing().is_empty() {
            match stat_in(at.dir(), &at.name) {
                Ok(a) => Some(a),
                Err(e) if not_found(&e) => None,
                Err(e) => return Err(failed(format!("{path}: {e}"))),
            }
        } else {
            None
        };
        match attrs {
            Some(a) if is_dir(a) => {
                let verb = if is_write { "write" } else { "delete" };
                return Err(refused(
                    "directory",
                    format!("cannot {verb} {path}: it is a directory"),
                ));
            }
            None if !is_write => {
                return Err(refused(
                    "missing",
                    format!("cannot delete {path}: it does not exist"),
                ))
            }
            _ => {}
        }
        steps.push(Step {
            at,
            op: match contents {
                Some(c) => Op::Write { contents: c },
                None => Op::Remove,
            },
            attrs,
            recase,
            dir: None,
            made: Vec::new(),
            temp: None,
        });
    }
    let adding: Vec<(usize, Vec<String>)> = steps
        .iter()
        .filter(|s| matches!(s.op, Op::Write { .. }))
        .map(|s| s.at.key())
        .collect();
    roots.check_git_dirs(&steps.iter().map(|s| &s.at).collect::<Vec<_>>(), &adding)?;

    // 2. Missing directories and temporaries.
    let mut undo: Vec<Undo> = Vec::new();
    let prepared = (|| -> Result<(), String> {
        for s in steps.iter_mut() {
            let mut dir = s.at.dir().clone();
            for comp in s.at.missing().to_vec() {
                let opened = match mkdir_in(&dir, &comp) {
                    Ok(f) => {
                        undo.push(Undo::Mkdir(dir.clone(), comp.clone()));
                        f
                    }
                    // Made by an earlier change of this request (or meanwhile by someone else):
                    // opened like any other directory on the path.
                    Err(e)
                        if matches!(
                            e.raw_os_error(),
                            Some(ERROR_ALREADY_EXISTS) | Some(ERROR_FILE_EXISTS)
                        ) =>
                    {
                        open_dir_in(&dir, &comp).map_err(|e| {
                            format!("{}: opening the directory {comp}: {e}", s.at.display)
                        })?
                    }
                    Err(e) => {
                        return Err(format!(
                            "{}: creating the directory {comp}: {e}",
                            s.at.display
                        ))
                    }
                };
                let attrs =
                    attributes(&opened).map(|a| a | entry_attributes(&dir, &comp).unwrap_or(0));
                let place = s.at.place_at(s.at.existing() + s.made.len() + 1);
                if attrs.map(is_link).unwrap_or(true) || !is_where(&opened, &place) {
                    return Err(format!(
                        "{}: {comp} became a link while the patch was applied",
                        s.at.display
                    ));
                }
                dir = Arc::new(opened);
                s.made.push(dir.clone());
            }
            if let Op::Write { contents } = &s.op {
                let t = write_temp(&dir, contents.as_bytes(), s.attrs)
                    .map_err(|e| format!("writing {}: {e}", s.at.display))?;
                s.temp = Some(t);
            }
            s.dir = Some(dir);
        }
        Ok(())
    })();
    if let Err(m) = prepared {
        return Err(failed(with_problems(m, &abandon(steps, undo))));
    }

    // 3. Commit: renames only, each one recorded so it can be undone.
    let committed = (|| -> Result<(), String> {
        for s in steps.iter_mut() {
            let dir = s.dir.clone().expect("prepared");
            let shown = &s.at.display;
            let now = match stat_in(&dir, &s.at.name) {
                Ok(a) => Some(a),
                Err(e) if not_found(&e) => None,
                Err(e) => return Err(format!("{shown}: {e}")),
            };
            match (&s.op, now) {
                (_, Some(a)) if is_dir(a) => {
                    return Err(format!("{shown}: a directory appeared at this path"))
                }
                (Op::Remove, None) => {
                    return Err(format!(
                        "{shown}: the file disappeared while the patch was applied"
                    ))
                }
                _ => {}
            }
            if now.is_some() {
                let old = open_for_delete(&dir, &s.at.name, false)
                    .map_err(|e| format!("{shown}: opening the old file: {}", in_use(e)))?;
                if attributes(&old).map(is_dir).unwrap_or(true) {
                    return Err(format!("{shown}: a directory appeared at this path"));
                }
                let mut expected = s.at.place();
                expected.push(s.at.name.to_lowercase());
                if !is_where(&old, &expected) {
                    return Err(format!("{shown}: it leads somewhere else (a symbolic link); nothing is written through links"));
                }
                // A replaced file keeps the name it has (`readme.md` written as `README.md`).
                if let Some(n) = stored_path(&old).and_then(|p| p.last().cloned()) {
                    if !s.recase && n.to_lowercase() == s.at.name.to_lowercase() {
                        s.at.name = n;
                    }
                }
                rename_to(&old, &dir, &side_name("old"), false)
                    .map_err(|e| format!("{shown}: moving the old file aside: {}", in_use(e)))?;
                undo.push(Undo::Aside {
                    file: old,
                    dir: dir.clone(),
                    name: s.at.name.clone(),
                });
            }
            if let Some(t) = s.temp.take() {
                if let Err(e) = rename_to(&t, &dir, &s.at.name, false) {
                    s.temp = Some(t);
                    return Err(format!("{shown}: renaming into place: {e}"));
                }
                undo.push(Undo::Placed(t, s.at.name.clone()));
            }
        }
        Ok(())
    })();
    if let Err(m) = committed {
        return Err(failed(with_problems(m, &abandon(steps, undo))));
    }
    // Every change landed; a backup that cannot be removed stays rather than failing what happened.
    for u in &undo {
        if let Undo::Aside { file, .. } = u {
            let _ = delete_open(file);
        }
    }
    drop(undo);
    let mut result = FsApplyChangesResult {
        written: Vec::new(),
        deleted: Vec::new(),
    };
    for s in steps {
        match s.op {
            Op::Write { .. } => result.written.push(s.at.display),
            Op::Remove => result.deleted.push(s.at.display),
        }
    }
    Ok(result)
}

/// Removes the temporaries, lets go of every held directory, then undoes the log.
fn abandon(steps: Vec<Step>, undo: Vec<Undo>) -> Vec<String> {
    for s in &steps {
        if let Some(t) = &s.temp {
            let _ = delete_open(t);
        }
    }
    drop(steps);
    roll_back(undo)
}

fn in_use(e: io::Error) -> String {
    if e.raw_os_error() == Some(ERROR_SHARING_VIOLATION) {
        format!("{e} (another program has it open without allowing renames; close it there and try again)")
    } else {
        e.to_string()
    }
}

fn with_problems(m: String, problems: &[String]) -> String {
    if problems.is_empty() {
        m
    } else {
        format!("{m}; restoring also failed: {}", problems.join("; "))
    }
}
