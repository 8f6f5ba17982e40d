//! Windows: `fs/applyChanges` and `fs/checkWrite` are not implemented yet. The Unix version
//! (fs_write.rs) is built on directory descriptors (`openat`, `renameat`); a Windows one needs the
//! same guarantees from handle-relative NT calls. Until then every request is refused with a
//! message the model and the person can read, and nothing is written.
use crate::exec::RpcError;
use crate::protocol::{codes, FsApplyChangesParams, FsApplyChangesResult, FsCheckWriteParams};

const NOT_YET: &str = "nothing was written: Tack cannot write files on Windows yet (its file writer needs handle-relative writes that are not built for Windows); make the change yourself, or ask the user to";

pub fn check_write(_p: &FsCheckWriteParams) -> Result<(), RpcError> {
    Err(RpcError::with_reason(
        codes::WRITE_REFUSED,
        "unsupported-platform",
        NOT_YET,
    ))
}

pub fn apply_changes(_p: &FsApplyChangesParams) -> Result<FsApplyChangesResult, RpcError> {
    Err(RpcError::with_reason(
        codes::WRITE_REFUSED,
        "unsupported-platform",
        NOT_YET,
    ))
}
