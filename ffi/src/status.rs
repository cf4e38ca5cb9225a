//! Status codes, the thread-local error message, and the guard every exported function runs its body in.
//!
//! A call either succeeds (`VXSCOPE_OK`) or returns a negative code and leaves a message for
//! `vxscope_last_error()`. Panics never cross the boundary: [`guard`] catches them and turns them into
//! `VXSCOPE_ERR_INTERNAL`.

use std::cell::RefCell;
use std::ffi::c_char;
use std::panic::{AssertUnwindSafe, catch_unwind};

pub use vxscope_abi::{
    Status, VXSCOPE_ERR_BAD_HANDLE, VXSCOPE_ERR_INTERNAL, VXSCOPE_ERR_INVALID_ARGUMENT,
    VXSCOPE_ERR_IO, VXSCOPE_ERR_NOT_FOUND, VXSCOPE_ERR_NULL_POINTER, VXSCOPE_ERR_OUT_OF_RANGE,
    VXSCOPE_ERR_PARSE, VXSCOPE_ERR_TOO_LONG, VXSCOPE_OK,
};

/// A failed call: its code and its message.
#[derive(Debug)]
pub(crate) struct Error {
    pub(crate) status: Status,
    pub(crate) message: String,
}

impl Error {
    pub(crate) fn new(status: Status, message: impl Into<String>) -> Error {
        Error {
            status,
            message: message.into(),
        }
    }

    pub(crate) fn null(what: &str) -> Error {
        Error::new(VXSCOPE_ERR_NULL_POINTER, format!("{what} is NULL"))
    }
}

pub(crate) type Result<T> = std::result::Result<T, Error>;

thread_local! {
    /// The message of the last failed call on this thread, NUL-terminated.
    static LAST_ERROR: RefCell<Vec<u8>> = RefCell::new(vec![0]);
}

fn set_last_error(function: &str, message: &str) {
    LAST_ERROR.with(|cell| {
        let mut buf = cell.borrow_mut();
        buf.clear();
        buf.extend_from_slice(function.as_bytes());
        buf.extend_from_slice(b": ");
        // A NUL inside the message would cut it short in C.
        buf.extend(message.bytes().map(|b| if b == 0 { b'?' } else { b }));
        buf.push(0);
    });
}

/// The last error message of this thread (never NULL; empty before the first failure).
pub(crate) fn last_error() -> *const c_char {
    // The buffer lives as long as the thread and is replaced only by the next failed call on it.
    LAST_ERROR.with(|cell| cell.borrow().as_ptr().cast())
}

/// Runs the body of the exported function `function`: its error, or a panic inside it, becomes a status code
/// and a message for `vxscope_last_error()`.
pub(crate) fn guard(function: &str, body: impl FnOnce() -> Result<()>) -> Status {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => VXSCOPE_OK,
        Ok(Err(e)) => {
            set_last_error(function, &e.message);
            e.status
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("unknown panic");
            set_last_error(function, &format!("internal error: {what}"));
            VXSCOPE_ERR_INTERNAL
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    fn message() -> String {
        // SAFETY: last_error() points at this thread's NUL-terminated buffer.
        unsafe { CStr::from_ptr(last_error()) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn errors_and_panics_become_codes_and_messages() {
        assert_eq!(message(), "");
        assert_eq!(guard("vxscope_test", || Ok(())), VXSCOPE_OK);
        assert_eq!(
            guard("vxscope_test", || Err(Error::null("bytes"))),
            VXSCOPE_ERR_NULL_POINTER
        );
        assert_eq!(message(), "vxscope_test: bytes is NULL");
        let status = guard("vxscope_test", || -> Result<()> {
            let v: Vec<u8> = Vec::new();
            let i = v.len() + 3;
            Err(Error::new(
                VXSCOPE_ERR_INVALID_ARGUMENT,
                format!("{}", v[i]),
            ))
        });
        assert_eq!(status, VXSCOPE_ERR_INTERNAL);
        assert!(
            message().starts_with("vxscope_test: internal error: index out of bounds"),
            "{}",
            message()
        );
    }

    #[test]
    fn messages_are_per_thread() {
        guard("vxscope_here", || Err(Error::null("ctx")));
        std::thread::spawn(|| {
            assert_eq!(message(), "");
            guard("vxscope_there", || Err(Error::null("out")));
            assert_eq!(message(), "vxscope_there: out is NULL");
        })
        .join()
        .unwrap();
        assert_eq!(message(), "vxscope_here: ctx is NULL");
    }
}
