//! The cluster network namespace's holder: a child forked from labsim that unshares a user and a
//! network namespace (mapping labsim's own uid/gid to root, as `unshare -Ur` does) and then makes
//! sockets for labsim on request, in its namespace or in a pod's.
//!
//! Why a forked child and not a thread that `setns`es: entering a network namespace needs
//! `CAP_SYS_ADMIN` in the caller's *own* user namespace too (`netns_install`), which an
//! unprivileged labsim lacks, and a multi-threaded process may not change its user namespace.
//! A socket keeps the namespace it was made in, so labsim binds, listens and connects with sockets
//! this child hands over (`SCM_RIGHTS`); labsim's uid owns the user namespace, so it has every
//! capability there (binding port 53 included). The child runs raw system calls only (no
//! allocation: it was forked from a multi-threaded process) and exits when labsim's end of the
//! socket pair closes, which also happens when labsim is SIGKILLed; `PR_SET_PDEATHSIG` is the
//! second guard.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Mutex;

/// A request: socket(domain, type, protocol), optionally in the network namespace of the fd
/// sent along.
#[repr(C)]
#[derive(Clone, Copy)]
struct Request {
    domain: i32,
    ty: i32,
    protocol: i32,
}

/// Why the holder could not be made.
#[derive(Debug)]
pub enum SpawnError {
    /// labsim's own side failed (socket pair, fork).
    Os(io::Error),
    /// The namespaces were refused: the step (`unshare(...)`, a `/proc/self/..._map`) and why.
    Namespaces(&'static str, io::Error),
}

/// The holder process and labsim's end of its socket pair.
pub struct Holder {
    pid: i32,
    /// `None` once dropped (closing it is what makes the holder exit).
    chan: Mutex<Option<OwnedFd>>,
}

impl Holder {
    /// Forks the holder; it is ready (namespaces made, ids mapped) when this returns. Call it
    /// from a thread that lives as long as the holder should (`PR_SET_PDEATHSIG` follows the
    /// forking thread).
    pub fn spawn() -> Result<Holder, SpawnError> {
        let (mine, theirs) = seqpacket_pair().map_err(SpawnError::Os)?;
        // Everything the child needs is prepared here: after fork it may not allocate.
        let uid = unsafe { libc::geteuid() };
        let gid = unsafe { libc::getegid() };
        let uid_map = format!("0 {uid} 1");
        let gid_map = format!("0 {gid} 1");
        let parent = unsafe { libc::getpid() };
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(SpawnError::Os(io::Error::last_os_error()));
        }
        if pid == 0 {
            // SAFETY: the child of fork runs only async-signal-safe system calls, then _exit.
            unsafe {
                child_main(
                    theirs.as_raw_fd(),
                    uid_map.as_bytes(),
                    gid_map.as_bytes(),
                    parent,
                )
            }
        }
        drop(theirs);
        let holder = Holder {
            pid,
            chan: Mutex::new(Some(mine)),
        };
        // The first message is the setup's result: 0, or the step and errno that failed.
        let mut status = [0i32; 2];
        let n = unsafe {
            libc::recv(
                holder.raw_chan(),
                status.as_mut_ptr().cast(),
                std::mem::size_of_val(&status),
                0,
            )
        };
        if n != std::mem::size_of_val(&status) as isize {
            return Err(SpawnError::Os(io::Error::other(
                "the network holder exited during setup",
            )));
        }
        if status[1] != 0 {
            let step = match status[0] {
                1 => "unshare(CLONE_NEWUSER|CLONE_NEWNET)",
                2 => "/proc/self/setgroups",
                3 => "/proc/self/uid_map",
                4 => "/proc/self/gid_map",
                _ => "/proc/sys/net/ipv4/ip_forward",
            };
            return Err(SpawnError::Namespaces(
                step,
                io::Error::from_raw_os_error(status[1]),
            ));
        }
        Ok(holder)
    }

    pub fn pid(&self) -> i32 {
        self.pid
    }

    fn raw_chan(&self) -> RawFd {
        self.chan
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map_or(-1, |c| c.as_raw_fd())
    }

    /// A new socket (close-on-exec) in the holder's network namespace, or in the one `netns`
    /// (an open `/proc/PID/ns/net`) names.
    pub fn socket(
        &self,
        netns: Option<&OwnedFd>,
        domain: i32,
        ty: i32,
        protocol: i32,
    ) -> io::Result<OwnedFd> {
        let guard = self.chan.lock().unwrap_or_else(|p| p.into_inner());
        let chan = guard
            .as_ref()
            .ok_or_else(|| io::Error::other("the network holder is stopped"))?;
        let req = Request {
            domain,
            ty,
            protocol,
        };
        send_with_fd(
            chan.as_raw_fd(),
            as_bytes(&req),
            netns.map(|f| f.as_raw_fd()),
        )?;
        let mut errno = 0i32;
        let fd = recv_with_fd(chan.as_raw_fd(), as_bytes_mut(&mut errno))?;
        match (errno, fd) {
            (0, Some(fd)) => Ok(fd),
            (0, None) => Err(io::Error::other("the network holder sent no socket")),
            (e, _) => Err(io::Error::from_raw_os_error(e)),
        }
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        // Closing our end makes the holder exit; reap it so no zombie stays.
        drop(
            self.chan
                .get_mut()
                .unwrap_or_else(|p| p.into_inner())
                .take(),
        );
        unsafe {
            libc::kill(self.pid, libc::SIGKILL);
            libc::waitpid(self.pid, std::ptr::null_mut(), 0);
        }
    }
}

fn seqpacket_pair() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    let r = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

fn as_bytes<T: Copy>(v: &T) -> &[u8] {
    unsafe { std::slice::from_raw_parts((v as *const T).cast(), std::mem::size_of::<T>()) }
}

fn as_bytes_mut<T: Copy>(v: &mut T) -> &mut [u8] {
    unsafe { std::slice::from_raw_parts_mut((v as *mut T).cast(), std::mem::size_of::<T>()) }
}

/// Room for one fd's control message (CMSG_SPACE(sizeof(int)) is 24 on 64-bit Linux).
#[repr(C, align(8))]
struct CmsgBuf([u8; 32]);

/// sendmsg with an optional fd (no allocation: the child uses it too).
fn send_with_fd(chan: RawFd, data: &[u8], fd: Option<RawFd>) -> io::Result<()> {
    let mut iov = libc::iovec {
        iov_base: data.as_ptr() as *mut _,
        iov_len: data.len(),
    };
    let mut cbuf = CmsgBuf([0; 32]);
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    if let Some(fd) = fd {
        unsafe {
            msg.msg_control = cbuf.0.as_mut_ptr().cast();
            msg.msg_controllen = libc::CMSG_SPACE(std::mem::size_of::<RawFd>() as u32) as usize;
            let c = libc::CMSG_FIRSTHDR(&msg);
            (*c).cmsg_level = libc::SOL_SOCKET;
            (*c).cmsg_type = libc::SCM_RIGHTS;
            (*c).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<RawFd>() as u32) as usize;
            std::ptr::write_unaligned(libc::CMSG_DATA(c).cast::<RawFd>(), fd);
        }
    }
    loop {
        let n = unsafe { libc::sendmsg(chan, &msg, libc::MSG_NOSIGNAL) };
        if n >= 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// recvmsg of one message into `data`, with the fd it carries (if any, close-on-exec).
fn recv_with_fd(chan: RawFd, data: &mut [u8]) -> io::Result<Option<OwnedFd>> {
    match recv_raw(chan, data) {
        Ok((0, _)) => Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the network holder is gone",
        )),
        Ok((_, fd)) => Ok((fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd) })),
        Err(e) => Err(io::Error::from_raw_os_error(e)),
    }
}

/// (bytes read, fd or -1), or errno. Allocation-free.
fn recv_raw(chan: RawFd, data: &mut [u8]) -> Result<(usize, RawFd), i32> {
    let mut iov = libc::iovec {
        iov_base: data.as_mut_ptr().cast(),
        iov_len: data.len(),
    };
    let mut cbuf = CmsgBuf([0; 32]);
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf.0.as_mut_ptr().cast();
    msg.msg_controllen = cbuf.0.len();
    loop {
        let n = unsafe { libc::recvmsg(chan, &mut msg, libc::MSG_CMSG_CLOEXEC) };
        if n < 0 {
            let e = unsafe { *libc::__errno_location() };
            if e == libc::EINTR {
                continue;
            }
            return Err(e);
        }
        let mut fd = -1;
        unsafe {
            let c = libc::CMSG_FIRSTHDR(&msg);
            if !c.is_null()
                && (*c).cmsg_level == libc::SOL_SOCKET
                && (*c).cmsg_type == libc::SCM_RIGHTS
            {
                fd = std::ptr::read_unaligned(libc::CMSG_DATA(c).cast::<RawFd>());
            }
        }
        return Ok((n as usize, fd));
    }
}

fn errno() -> i32 {
    unsafe { *libc::__errno_location() }
}

/// Writes `data` to `path` (a NUL-terminated string); 0 or errno.
unsafe fn write_file(path: &std::ffi::CStr, data: &[u8]) -> i32 {
    let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
    if fd < 0 {
        return errno();
    }
    let n = libc::write(fd, data.as_ptr().cast(), data.len());
    let e = if n == data.len() as isize { 0 } else { errno() };
    libc::close(fd);
    e
}

/// The holder's life after fork: only system calls, no allocation, never returns.
unsafe fn child_main(chan: RawFd, uid_map: &[u8], gid_map: &[u8], parent: i32) -> ! {
    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
    if libc::getppid() != parent {
        libc::_exit(1);
    }
    // labsim's signal handlers and mask mean nothing here.
    let mut none: libc::sigset_t = std::mem::zeroed();
    libc::sigemptyset(&mut none);
    libc::sigprocmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
    for sig in [
        libc::SIGTERM,
        libc::SIGINT,
        libc::SIGHUP,
        libc::SIGQUIT,
        libc::SIGCHLD,
    ] {
        libc::signal(sig, libc::SIG_DFL);
    }
    libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    // Hold none of labsim's files (a connection labsim closes must close).
    let max = u32::MAX;
    if chan > 0 {
        libc::syscall(libc::SYS_close_range, 0u32, (chan - 1) as u32, 0u32);
    }
    libc::syscall(libc::SYS_close_range, (chan + 1) as u32, max, 0u32);

    let mut status = [0i32; 2];
    if libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNET) != 0 {
        status = [1, errno()];
    } else {
        // Then route between the nodes' pod subnets (pods of one node reach another's
        // through their gateways here, as the nodes of a real cluster route pod traffic).
        let steps: [(&std::ffi::CStr, &[u8]); 4] = [
            (c"/proc/self/setgroups", b"deny"),
            (c"/proc/self/uid_map", uid_map),
            (c"/proc/self/gid_map", gid_map),
            (c"/proc/sys/net/ipv4/ip_forward", b"1"),
        ];
        for (i, (path, data)) in steps.iter().enumerate() {
            let e = write_file(path, data);
            if e != 0 {
                status = [2 + i as i32, e];
                break;
            }
        }
    }
    if send_with_fd(chan, as_bytes(&status), None).is_err() || status[1] != 0 {
        libc::_exit(1);
    }
    let own = libc::open(
        c"/proc/self/ns/net".as_ptr(),
        libc::O_RDONLY | libc::O_CLOEXEC,
    );
    if own < 0 {
        libc::_exit(1);
    }
    loop {
        let mut req = Request {
            domain: 0,
            ty: 0,
            protocol: 0,
        };
        let (n, nsfd) = match recv_raw(chan, as_bytes_mut(&mut req)) {
            Ok((0, _)) | Err(_) => libc::_exit(0), // labsim closed its end or died
            Ok(r) => r,
        };
        let mut reply = 0i32;
        let mut fd = -1;
        if n != std::mem::size_of::<Request>() {
            reply = libc::EINVAL;
        } else if nsfd >= 0 && libc::setns(nsfd, libc::CLONE_NEWNET) != 0 {
            reply = errno();
        } else {
            fd = libc::socket(req.domain, req.ty | libc::SOCK_CLOEXEC, req.protocol);
            if fd < 0 {
                reply = errno();
            }
            // Back home: a later request must never get a socket of the pod's namespace.
            if nsfd >= 0 && libc::setns(own, libc::CLONE_NEWNET) != 0 {
                libc::_exit(1);
            }
        }
        if nsfd >= 0 {
            libc::close(nsfd);
        }
        let sent = send_with_fd(chan, as_bytes(&reply), (fd >= 0).then_some(fd));
        if fd >= 0 {
            libc::close(fd);
        }
        if sent.is_err() {
            libc::_exit(0);
        }
    }
}
