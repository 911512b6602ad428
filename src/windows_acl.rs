//! Owner-only security on Windows. A file created in a folder inherits that folder's ACL, and
//! a named pipe gets Windows' default one (read access for everyone): so every file the
//! wallet writes (exports, records, the vault, rescue files) and the agent's pipe are created
//! with a protected DACL that grants this user alone, and a caller checks that the agent's
//! pipe belongs to this user before it sends anything.
//!
//! This is the crate's only `unsafe` code: Win32 calls through `windows-sys`, each wrapped
//! in a safe function here. Every pointer handed to Windows points at memory this module
//! owns for the length of the call, and everything Windows allocates is freed here.
#![allow(unsafe_code)]

use std::ffi::c_void;
use std::fs::File;
use std::os::windows::ffi::OsStrExt as _;
use std::os::windows::io::{AsRawHandle, FromRawHandle as _, OwnedHandle};
use std::path::Path;

use windows_sys::Win32::Foundation::{
    ERROR_INSUFFICIENT_BUFFER, GENERIC_WRITE, HANDLE, INVALID_HANDLE_VALUE, LocalFree,
};
use windows_sys::Win32::Security::Authorization::{
    ConvertSecurityDescriptorToStringSecurityDescriptorW, ConvertSidToStringSidW,
    ConvertStringSecurityDescriptorToSecurityDescriptorW, GetSecurityInfo, SDDL_REVISION_1,
    SE_FILE_OBJECT, SE_KERNEL_OBJECT, SE_OBJECT_TYPE,
};
use windows_sys::Win32::Security::{
    DACL_SECURITY_INFORMATION, GetTokenInformation, OWNER_SECURITY_INFORMATION,
    PSECURITY_DESCRIPTOR, PSID, SECURITY_ATTRIBUTES, TOKEN_INFORMATION_CLASS, TOKEN_QUERY,
    TokenUser,
};
use windows_sys::Win32::Storage::FileSystem::{
    CREATE_NEW, CreateFileW, FILE_ATTRIBUTE_NORMAL, FILE_SHARE_DELETE, FILE_SHARE_READ,
    FILE_SHARE_WRITE,
};
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

/// A security descriptor Windows allocated, freed when dropped.
struct Descriptor(PSECURITY_DESCRIPTOR);

impl Drop for Descriptor {
    fn drop(&mut self) {
        // SAFETY: the descriptor was allocated by Windows with LocalAlloc and is freed once.
        unsafe { LocalFree(self.0) };
    }
}

impl Descriptor {
    /// Owned by this user, with full control for this user alone, nothing inherited from
    /// the folder (protected). The owner is named: an elevated process would otherwise give
    /// its objects to the Administrators group.
    fn owner_only() -> std::io::Result<Self> {
        let me = current_user_sid()?;
        let sddl = wide(format!("O:{me}D:P(A;;GA;;;{me})"));
        let mut descriptor: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
        // SAFETY: `sddl` is a NUL-terminated UTF-16 string alive for the call; Windows
        // writes one pointer to `descriptor`.
        let ok = unsafe {
            ConvertStringSecurityDescriptorToSecurityDescriptorW(
                sddl.as_ptr(),
                SDDL_REVISION_1,
                &raw mut descriptor,
                std::ptr::null_mut(),
            )
        };
        if ok == 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Self(descriptor))
    }

    /// Attributes that apply it to a new object, not inherited by child processes.
    fn attributes(&self) -> SECURITY_ATTRIBUTES {
        SECURITY_ATTRIBUTES {
            nLength: u32::try_from(std::mem::size_of::<SECURITY_ATTRIBUTES>()).unwrap_or(24),
            lpSecurityDescriptor: self.0,
            bInheritHandle: 0,
        }
    }
}

/// `text` as a NUL-terminated UTF-16 string.
fn wide(text: impl AsRef<std::ffi::OsStr>) -> Vec<u16> {
    text.as_ref().encode_wide().chain([0]).collect()
}

/// Reads a NUL-terminated UTF-16 string Windows allocated, and frees it.
fn take_wide(text: *mut u16) -> String {
    let mut len = 0;
    // SAFETY: `text` is a NUL-terminated string from Windows; we stop at its NUL.
    while unsafe { *text.add(len) } != 0 {
        len += 1;
    }
    // SAFETY: `len` units were just read; the string is freed once, after the copy.
    let out = String::from_utf16_lossy(unsafe { std::slice::from_raw_parts(text, len) });
    unsafe { LocalFree(text.cast()) };
    out
}

/// A SID as text (`S-1-5-21-…`).
fn sid_text(sid: PSID) -> std::io::Result<String> {
    let mut text: *mut u16 = std::ptr::null_mut();
    // SAFETY: `sid` points at a valid SID owned by the caller for this call.
    if unsafe { ConvertSidToStringSidW(sid, &raw mut text) } == 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(take_wide(text))
}

/// This process's user, as a SID in text form.
pub fn current_user_sid() -> std::io::Result<String> {
    token_sid(TokenUser)
}

/// The SID a `TOKEN_USER` (or another structure that begins with a SID's address) of this
/// process's token names.
fn token_sid(class: TOKEN_INFORMATION_CLASS) -> std::io::Result<String> {
    let mut token: HANDLE = std::ptr::null_mut();
    // SAFETY: the pseudo handle of the current process needs no closing; Windows writes
    // one handle to `token`, which `OwnedHandle` then closes.
    if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &raw mut token) } == 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `token` is a handle we own from here on.
    let token = unsafe { OwnedHandle::from_raw_handle(token) };
    let mut len = 0_u32;
    // SAFETY: a size query: no buffer, Windows writes the needed length.
    let sized = unsafe {
        GetTokenInformation(
            token.as_raw_handle(),
            class,
            std::ptr::null_mut(),
            0,
            &raw mut len,
        )
    };
    let error = std::io::Error::last_os_error();
    if sized == 0 && error.raw_os_error() != i32::try_from(ERROR_INSUFFICIENT_BUFFER).ok() {
        return Err(error);
    }
    // u64s: aligned for the structure and the SID after it.
    let mut buffer = vec![0_u64; (len as usize).div_ceil(8).max(1)];
    // SAFETY: `buffer` holds at least `len` bytes, aligned for the structure.
    let ok = unsafe {
        GetTokenInformation(
            token.as_raw_handle(),
            class,
            buffer.as_mut_ptr().cast::<c_void>(),
            len,
            &raw mut len,
        )
    };
    if ok == 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: Windows filled the buffer with a structure whose first field is the address
    // of a SID within the buffer.
    let sid = unsafe { *buffer.as_ptr().cast::<PSID>() };
    sid_text(sid)
}

/// Creates a new file at `path`, writable, that only this user can open: the DACL is set
/// as the file is created, so no other user can open it even for a moment. Fails if
/// anything (a symlink included) is there.
pub fn create_new_owner_only(path: &Path) -> std::io::Result<File> {
    let descriptor = Descriptor::owner_only()?;
    let attributes = descriptor.attributes();
    let name = wide(path.as_os_str());
    // SAFETY: `name` and `attributes` (and the descriptor it points at) outlive the call.
    let handle = unsafe {
        CreateFileW(
            name.as_ptr(),
            GENERIC_WRITE,
            FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
            &raw const attributes,
            CREATE_NEW,
            FILE_ATTRIBUTE_NORMAL,
            std::ptr::null_mut(),
        )
    };
    if handle == INVALID_HANDLE_VALUE {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a valid handle we own from here on.
    Ok(File::from(unsafe { OwnedHandle::from_raw_handle(handle) }))
}

/// Creates the agent's pipe instance `name` with `options`, open to this user alone.
pub fn create_pipe(
    options: &tokio::net::windows::named_pipe::ServerOptions,
    name: &str,
) -> std::io::Result<tokio::net::windows::named_pipe::NamedPipeServer> {
    let descriptor = Descriptor::owner_only()?;
    let mut attributes = descriptor.attributes();
    // SAFETY: `attributes` is a valid SECURITY_ATTRIBUTES whose descriptor outlives the call.
    unsafe { options.create_with_security_attributes_raw(name, (&raw mut attributes).cast()) }
}

/// What an object's security says, read from an open handle to it.
fn security(
    handle: &impl AsRawHandle,
    kind: SE_OBJECT_TYPE,
    what: u32,
) -> std::io::Result<(Descriptor, PSID)> {
    let mut owner: PSID = std::ptr::null_mut();
    let mut descriptor: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
    // SAFETY: the handle is open for the call; Windows allocates the descriptor (freed by
    // `Descriptor`) and points `owner` into it.
    let status = unsafe {
        GetSecurityInfo(
            handle.as_raw_handle(),
            kind,
            what,
            &raw mut owner,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            &raw mut descriptor,
        )
    };
    if status != 0 {
        return Err(std::io::Error::from_raw_os_error(
            i32::try_from(status).unwrap_or(i32::MAX),
        ));
    }
    Ok((Descriptor(descriptor), owner))
}

/// The DACL of an open file, in SDDL (`D:P(A;;FA;;;S-1-5-21-…)`).
pub fn file_dacl(file: &File) -> std::io::Result<String> {
    dacl(file, SE_FILE_OBJECT)
}

/// The DACL of an open pipe, in SDDL.
pub fn pipe_dacl(pipe: &impl AsRawHandle) -> std::io::Result<String> {
    dacl(pipe, SE_KERNEL_OBJECT)
}

fn dacl(handle: &impl AsRawHandle, kind: SE_OBJECT_TYPE) -> std::io::Result<String> {
    let (descriptor, _) = security(handle, kind, DACL_SECURITY_INFORMATION)?;
    let mut text: *mut u16 = std::ptr::null_mut();
    // SAFETY: `descriptor` is valid until dropped below; Windows allocates `text`.
    let ok = unsafe {
        ConvertSecurityDescriptorToStringSecurityDescriptorW(
            descriptor.0,
            SDDL_REVISION_1,
            DACL_SECURITY_INFORMATION,
            &raw mut text,
            std::ptr::null_mut(),
        )
    };
    if ok == 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(take_wide(text))
}

/// Whether the pipe behind `pipe` is owned by this user (the agent names its owner): a pipe
/// another user created under the agent's name must not get a request (a passphrase least
/// of all).
pub fn pipe_is_mine(pipe: &impl AsRawHandle) -> std::io::Result<bool> {
    let (_descriptor, owner) = security(pipe, SE_KERNEL_OBJECT, OWNER_SECURITY_INFORMATION)?;
    if owner.is_null() {
        return Ok(false);
    }
    Ok(sid_text(owner)? == current_user_sid()?)
}

/// Whether a DACL in SDDL grants access to no one but this user (and the system, which
/// Windows lets read everything anyway; wine lists it on every file). What Windows writes
/// for [`create_new_owner_only`] is `D:P(A;;FA;;;<this user>)`; wine, which keeps a file's
/// security in its Unix mode, reads back the system and this user.
pub fn grants_this_user_alone(dacl: &str) -> bool {
    let Ok(me) = current_user_sid() else {
        return false;
    };
    let Some(entries) = dacl.strip_prefix("D:") else {
        return false;
    };
    let entries = entries.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    !entries.is_empty()
        && entries
            .split_terminator(')')
            .map(|entry| entry.trim_start_matches('('))
            .all(|entry| {
                let fields: Vec<&str> = entry.split(';').collect();
                let allow = fields.first() == Some(&"A");
                let trustee = fields.last().copied().unwrap_or_default();
                !allow || trustee == me || trustee == "SY"
            })
}
