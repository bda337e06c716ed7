//! Starting the write-back of the WAL ahead of its checkpoint.
//!
//! A checkpoint first `fsync`s the log, and on ext4 an append to the log
//! issued meanwhile can wait for that sync: with a second of log to write
//! that is 20-60 ms during which every queued writer waits (off-CPU
//! profile, `benches/README.md`). Asking the kernel every [`EVERY`] to
//! start writing the log out — all but the file's last [`TAIL`] bytes —
//! leaves the checkpoint's sync little to do. It changes nothing of what is
//! durable when: `sync_file_range` without its wait flags only starts I/O,
//! and the checkpoint still syncs the whole file.
//!
//! The tail spared is the *file's*: while the log grows that is where the
//! writer appends, but after a restart the writer appends from the start
//! of a file that keeps its length, and the write-back can then reach the
//! pages it is filling. Only clean-versus-dirty changes, never content, and
//! the measured gain (`benches/README.md`) was over runs with restarts;
//! sparing the writer's own position would need the log's frame count.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::time::Duration;

/// How often the log's write-back is started.
pub(super) const EVERY: Duration = Duration::from_millis(20);
/// Bytes at the end of the log left alone (the writer appends there).
const TAIL: u64 = 64 << 10;

/// Starts writing out `log` up to its last [`TAIL`] bytes, without
/// waiting; whether there was anything to start.
pub(super) fn start(log: &File) -> io::Result<bool> {
    let len = log.metadata()?.len();
    let upto = len.saturating_sub(TAIL) & !4095;
    if upto == 0 {
        return Ok(false);
    }
    let upto = i64::try_from(upto).map_err(io::Error::other)?;
    start_range(log, upto)?;
    Ok(true)
}

/// `sync_file_range(fd, 0, upto, SYNC_FILE_RANGE_WRITE)`.
#[allow(unsafe_code)]
fn start_range(file: &File, upto: i64) -> io::Result<()> {
    // SAFETY: a plain syscall on a descriptor `file` owns and keeps open
    // for the call; no memory is passed.
    let rc =
        unsafe { libc::sync_file_range(file.as_raw_fd(), 0, upto, libc::SYNC_FILE_RANGE_WRITE) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Seek, Write};

    use super::*;

    /// A real file: nothing to start while it is shorter than the tail;
    /// past it the call succeeds (the kernel takes the range) and the
    /// file's bytes are as written.
    #[test]
    fn starts_past_the_tail_and_changes_nothing() {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&vec![7u8; 16 << 10]).unwrap();
        assert!(!start(&file).unwrap(), "a short log has nothing to start");
        let body: Vec<u8> = (0..(1u32 << 20)).map(|i| (i % 251) as u8).collect();
        file.write_all(&body).unwrap();
        assert!(start(&file).unwrap());
        let mut back = Vec::new();
        file.rewind().unwrap();
        file.read_to_end(&mut back).unwrap();
        assert_eq!(back.len(), (16 << 10) + body.len());
        assert_eq!(&back[16 << 10..], &body[..]);
    }

    /// An out-of-range request is the kernel's error, not a silent success.
    #[test]
    fn a_bad_range_is_an_error() {
        let file = tempfile::tempfile().unwrap();
        assert!(start_range(&file, -1).is_err());
    }
}
