//! SPDY/3.1 framing, as much as kubectl's port-forward needs (client-go speaks it through
//! `moby/spdystream`, either over an `Upgrade: SPDY/3.1` connection or tunnelled inside a
//! WebSocket whose binary messages carry the SPDY byte stream).
//!
//! Frames (all integers big-endian):
//! - control: `1 | version(15) | type(16)`, `flags(8) | length(24)`, payload;
//! - data: `0 | stream id(31)`, `flags(8) | length(24)`, payload.
//!
//! Header blocks (`SYN_STREAM`, `SYN_REPLY`, `HEADERS`) are `count(32)` then `len(32) name
//! len(32) value` pairs, compressed with zlib and the SPDY/3 preset dictionary. Each direction
//! of a connection is one zlib stream, flushed (Z_SYNC_FLUSH) after every block, so one
//! [`Inflater`] and one [`Deflater`] live as long as the connection.
//!
//! spdystream sends no SETTINGS and no WINDOW_UPDATE and honours no flow-control window, so
//! neither does labsim: those frames are read and ignored.

use bytes::Bytes;
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The protocol version in every control frame.
pub const VERSION: u16 = 3;
/// `FLAG_FIN` on data frames and on `SYN_STREAM`/`SYN_REPLY`/`HEADERS`.
pub const FLAG_FIN: u8 = 0x01;
/// RST_STREAM status codes used here.
pub const RST_INVALID_STREAM: u32 = 2;
pub const RST_CANCEL: u32 = 5;
/// GOAWAY statuses: a normal end of the session, and the peer broke the protocol.
pub const GOAWAY_OK: u32 = 0;
pub const GOAWAY_PROTOCOL_ERROR: u32 = 1;
/// Largest payload one data frame carries when labsim writes (the format allows 16 MiB).
pub const MAX_DATA: usize = 32 * 1024;
/// Largest uncompressed header block accepted (a decompression bomb ends the session).
const MAX_HEADER_BLOCK: usize = 256 * 1024;

const SYN_STREAM: u16 = 1;
const SYN_REPLY: u16 = 2;
const RST_STREAM: u16 = 3;
const SETTINGS: u16 = 4;
const PING: u16 = 6;
const GOAWAY: u16 = 7;
const HEADERS: u16 = 8;
const WINDOW_UPDATE: u16 = 9;

/// Header names (lower case, as SPDY requires) and values (several values joined by NUL).
pub type Headers = Vec<(String, String)>;

/// The first value of a header, by case-insensitive name.
pub fn header<'a>(headers: &'a Headers, name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.split('\0').next().unwrap_or(""))
}

/// One frame, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    SynStream {
        stream: u32,
        associated: u32,
        priority: u8,
        flags: u8,
        headers: Headers,
    },
    SynReply {
        stream: u32,
        flags: u8,
        headers: Headers,
    },
    RstStream {
        stream: u32,
        status: u32,
    },
    /// Read and ignored (spdystream never sends one).
    Settings,
    Ping(u32),
    GoAway {
        last_good: u32,
        status: u32,
    },
    Headers {
        stream: u32,
        flags: u8,
        headers: Headers,
    },
    WindowUpdate {
        stream: u32,
        delta: u32,
    },
    Data {
        stream: u32,
        flags: u8,
        data: Bytes,
    },
    /// A control frame of a type SPDY/3.1 does not define: the spec says to ignore it.
    Unknown(u16),
}

/// Why a session cannot go on.
#[derive(Debug, thiserror::Error)]
pub enum SpdyError {
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("SPDY protocol error: {0}")]
    Protocol(String),
}

fn protocol(msg: impl Into<String>) -> SpdyError {
    SpdyError::Protocol(msg.into())
}

/// The SPDY/3 header compression dictionary (draft-mbelshe-httpbis-spdy-00, section 2.6.10.1):
/// length-prefixed header names and values, then a run of common value text.
pub fn dictionary() -> Vec<u8> {
    const WORDS: &[&str] = &[
        "options",
        "head",
        "post",
        "put",
        "delete",
        "trace",
        "accept",
        "accept-charset",
        "accept-encoding",
        "accept-language",
        "accept-ranges",
        "age",
        "allow",
        "authorization",
        "cache-control",
        "connection",
        "content-base",
        "content-encoding",
        "content-language",
        "content-length",
        "content-location",
        "content-md5",
        "content-range",
        "content-type",
        "date",
        "etag",
        "expect",
        "expires",
        "from",
        "host",
        "if-match",
        "if-modified-since",
        "if-none-match",
        "if-range",
        "if-unmodified-since",
        "last-modified",
        "location",
        "max-forwards",
        "pragma",
        "proxy-authenticate",
        "proxy-authorization",
        "range",
        "referer",
        "retry-after",
        "server",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "user-agent",
        "vary",
        "via",
        "warning",
        "www-authenticate",
        "method",
        "get",
        "status",
        "200 OK",
        "version",
        "HTTP/1.1",
        "url",
        "public",
        "set-cookie",
        "keep-alive",
        "origin",
    ];
    const TAIL: &str = concat!(
        "100101201202205206300302303304305306307402405406407408409410411412413414415416417",
        "502504505",
        "203 Non-Authoritative Information",
        "204 No Content",
        "301 Moved Permanently",
        "400 Bad Request",
        "401 Unauthorized",
        "403 Forbidden",
        "404 Not Found",
        "500 Internal Server Error",
        "501 Not Implemented",
        "503 Service Unavailable",
        "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec",
        " 00:00:00",
        " Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT",
        "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,",
        "text/plain,text/javascript,publicprivatemax-age=gzip,deflate,sdch",
        "charset=utf-8charset=iso-8859-1,utf-,*,enq=0.",
    );
    let mut d = Vec::with_capacity(1423);
    for w in WORDS {
        d.extend((w.len() as u32).to_be_bytes());
        d.extend(w.as_bytes());
    }
    d.extend(TAIL.as_bytes());
    d
}

/// Decompresses the peer's header blocks (one zlib stream per connection direction).
pub struct Inflater {
    z: Decompress,
    dict: Vec<u8>,
}

impl Default for Inflater {
    fn default() -> Self {
        Inflater {
            z: Decompress::new(true),
            dict: dictionary(),
        }
    }
}

impl Inflater {
    /// Inflates one header block (everything up to its sync flush).
    pub fn inflate(&mut self, input: &[u8]) -> Result<Vec<u8>, SpdyError> {
        let mut out = Vec::with_capacity(input.len() * 4 + 256);
        let mut pos = 0;
        loop {
            if out.capacity() - out.len() < 1024 {
                out.reserve(out.capacity().max(4096));
            }
            let (in0, out0) = (self.z.total_in(), self.z.total_out());
            let res = self
                .z
                .decompress_vec(&input[pos..], &mut out, FlushDecompress::Sync);
            pos += (self.z.total_in() - in0) as usize;
            let produced = self.z.total_out() - out0;
            match res {
                Ok(_) => {}
                Err(e) if e.needs_dictionary().is_some() => {
                    self.z
                        .set_dictionary(&self.dict)
                        .map_err(|e| protocol(format!("header dictionary: {e}")))?;
                    continue;
                }
                Err(e) => return Err(protocol(format!("header block: {e}"))),
            }
            if out.len() > MAX_HEADER_BLOCK {
                return Err(protocol("header block too large"));
            }
            let room_left = out.len() < out.capacity();
            if pos >= input.len() && room_left {
                return Ok(out);
            }
            if produced == 0 && self.z.total_in() == in0 && room_left {
                return Err(protocol("truncated header block"));
            }
        }
    }
}

/// Compresses labsim's header blocks.
pub struct Deflater {
    z: Compress,
    started: bool,
}

impl Default for Deflater {
    fn default() -> Self {
        Deflater {
            z: Compress::new(Compression::default(), true),
            started: false,
        }
    }
}

impl Deflater {
    /// Deflates one header block and sync-flushes it.
    pub fn deflate(&mut self, input: &[u8]) -> Vec<u8> {
        if !self.started {
            self.z
                .set_dictionary(&dictionary())
                .expect("a fresh zlib stream takes a dictionary");
            self.started = true;
        }
        let mut out = Vec::with_capacity(input.len() + 64);
        let mut pos = 0;
        loop {
            if out.capacity() - out.len() < 64 {
                out.reserve(out.capacity().max(256));
            }
            let in0 = self.z.total_in();
            self.z
                .compress_vec(&input[pos..], &mut out, FlushCompress::Sync)
                .expect("deflate into a growing buffer");
            pos += (self.z.total_in() - in0) as usize;
            if pos >= input.len() && out.len() < out.capacity() {
                return out;
            }
        }
    }
}

/// A header block, uncompressed.
pub fn encode_headers(headers: &Headers) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend((headers.len() as u32).to_be_bytes());
    for (n, v) in headers {
        let n = n.to_ascii_lowercase();
        b.extend((n.len() as u32).to_be_bytes());
        b.extend(n.as_bytes());
        b.extend((v.len() as u32).to_be_bytes());
        b.extend(v.as_bytes());
    }
    b
}

/// Parses an uncompressed header block.
pub fn decode_headers(b: &[u8]) -> Result<Headers, SpdyError> {
    let mut r = b;
    let mut take = |n: usize| -> Result<&[u8], SpdyError> {
        if r.len() < n {
            return Err(protocol("short header block"));
        }
        let (head, rest) = r.split_at(n);
        r = rest;
        Ok(head)
    };
    let u32_of = |s: &[u8]| u32::from_be_bytes([s[0], s[1], s[2], s[3]]) as usize;
    let count = u32_of(take(4)?);
    let mut out = Vec::with_capacity(count.min(64));
    for _ in 0..count {
        let n = u32_of(take(4)?);
        let name = String::from_utf8_lossy(take(n)?).to_ascii_lowercase();
        let n = u32_of(take(4)?);
        let value = String::from_utf8_lossy(take(n)?).into_owned();
        if name.is_empty() {
            return Err(protocol("empty header name"));
        }
        out.push((name, value));
    }
    Ok(out)
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Reads frames from one side of a connection.
pub struct FrameReader<R> {
    io: R,
    inflater: Inflater,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    pub fn new(io: R) -> Self {
        FrameReader {
            io,
            inflater: Inflater::default(),
        }
    }

    /// The next frame; `None` when the peer closed the connection between frames.
    pub async fn next(&mut self) -> Result<Option<Frame>, SpdyError> {
        let mut head = [0u8; 8];
        match self.io.read(&mut head[..1]).await? {
            0 => return Ok(None),
            _ => self.io.read_exact(&mut head[1..]).await?,
        };
        let flags = head[4];
        let len = (be32(&head[4..8]) & 0x00ff_ffff) as usize;
        let mut payload = vec![0u8; len];
        self.io.read_exact(&mut payload).await?;
        if head[0] & 0x80 == 0 {
            let stream = be32(&head[0..4]) & 0x7fff_ffff;
            return Ok(Some(Frame::Data {
                stream,
                flags,
                data: Bytes::from(payload),
            }));
        }
        let version = u16::from_be_bytes([head[0], head[1]]) & 0x7fff;
        let kind = u16::from_be_bytes([head[2], head[3]]);
        if version != VERSION {
            return Err(protocol(format!("unsupported SPDY version {version}")));
        }
        let need = |n: usize| {
            if payload.len() < n {
                Err(protocol(format!("control frame type {kind} too short")))
            } else {
                Ok(())
            }
        };
        let id = |b: &[u8]| be32(b) & 0x7fff_ffff;
        Ok(Some(match kind {
            SYN_STREAM => {
                need(10)?;
                let block = self.inflater.inflate(&payload[10..])?;
                Frame::SynStream {
                    stream: id(&payload[0..4]),
                    associated: id(&payload[4..8]),
                    priority: payload[8] >> 5,
                    flags,
                    headers: decode_headers(&block)?,
                }
            }
            SYN_REPLY | HEADERS => {
                need(4)?;
                let block = self.inflater.inflate(&payload[4..])?;
                let (stream, headers) = (id(&payload[0..4]), decode_headers(&block)?);
                if kind == SYN_REPLY {
                    Frame::SynReply {
                        stream,
                        flags,
                        headers,
                    }
                } else {
                    Frame::Headers {
                        stream,
                        flags,
                        headers,
                    }
                }
            }
            RST_STREAM => {
                need(8)?;
                Frame::RstStream {
                    stream: id(&payload[0..4]),
                    status: be32(&payload[4..8]),
                }
            }
            SETTINGS => Frame::Settings,
            PING => {
                need(4)?;
                Frame::Ping(be32(&payload[0..4]))
            }
            GOAWAY => {
                need(8)?;
                Frame::GoAway {
                    last_good: id(&payload[0..4]),
                    status: be32(&payload[4..8]),
                }
            }
            WINDOW_UPDATE => {
                need(8)?;
                Frame::WindowUpdate {
                    stream: id(&payload[0..4]),
                    delta: be32(&payload[4..8]) & 0x7fff_ffff,
                }
            }
            other => Frame::Unknown(other),
        }))
    }
}

/// Encodes frames for one side of a connection.
#[derive(Default)]
pub struct FrameEncoder {
    deflater: Deflater,
}

fn control(kind: u16, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(8 + payload.len());
    b.extend((0x8000 | VERSION).to_be_bytes());
    b.extend(kind.to_be_bytes());
    b.extend(((flags as u32) << 24 | payload.len() as u32).to_be_bytes());
    b.extend(payload);
    b
}

impl FrameEncoder {
    /// The bytes of a frame. Header blocks go through this connection's compressor, so frames
    /// must be written in the order they are encoded.
    pub fn encode(&mut self, frame: &Frame) -> Vec<u8> {
        match frame {
            Frame::SynStream {
                stream,
                associated,
                priority,
                flags,
                headers,
            } => {
                let mut p = Vec::new();
                p.extend(stream.to_be_bytes());
                p.extend(associated.to_be_bytes());
                p.push(priority << 5);
                p.push(0);
                p.extend(self.deflater.deflate(&encode_headers(headers)));
                control(SYN_STREAM, *flags, &p)
            }
            Frame::SynReply {
                stream,
                flags,
                headers,
            }
            | Frame::Headers {
                stream,
                flags,
                headers,
            } => {
                let mut p = Vec::new();
                p.extend(stream.to_be_bytes());
                p.extend(self.deflater.deflate(&encode_headers(headers)));
                let kind = if matches!(frame, Frame::SynReply { .. }) {
                    SYN_REPLY
                } else {
                    HEADERS
                };
                control(kind, *flags, &p)
            }
            Frame::RstStream { stream, status } => {
                let mut p = stream.to_be_bytes().to_vec();
                p.extend(status.to_be_bytes());
                control(RST_STREAM, 0, &p)
            }
            Frame::Settings => control(SETTINGS, 0, &0u32.to_be_bytes()),
            Frame::Ping(id) => control(PING, 0, &id.to_be_bytes()),
            Frame::GoAway { last_good, status } => {
                let mut p = last_good.to_be_bytes().to_vec();
                p.extend(status.to_be_bytes());
                control(GOAWAY, 0, &p)
            }
            Frame::WindowUpdate { stream, delta } => {
                let mut p = stream.to_be_bytes().to_vec();
                p.extend(delta.to_be_bytes());
                control(WINDOW_UPDATE, 0, &p)
            }
            Frame::Data {
                stream,
                flags,
                data,
            } => {
                let mut b = Vec::with_capacity(8 + data.len());
                b.extend((stream & 0x7fff_ffff).to_be_bytes());
                b.extend(((*flags as u32) << 24 | data.len() as u32).to_be_bytes());
                b.extend(data.iter());
                b
            }
            Frame::Unknown(kind) => control(*kind, 0, &[]),
        }
    }
}

/// Writes frames to one side of a connection.
pub struct FrameWriter<W> {
    io: W,
    encoder: FrameEncoder,
}

impl<W: AsyncWrite + Unpin> FrameWriter<W> {
    pub fn new(io: W) -> Self {
        FrameWriter {
            io,
            encoder: FrameEncoder::default(),
        }
    }

    pub async fn write(&mut self, frame: &Frame) -> std::io::Result<()> {
        let bytes = self.encoder.encode(frame);
        self.io.write_all(&bytes).await?;
        self.io.flush().await
    }

    pub async fn shutdown(&mut self) {
        let _ = self.io.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dictionary_is_the_spdy3_one() {
        let d = dictionary();
        assert_eq!(d.len(), 1423);
        // The Adler-32 a zlib stream names it by (the DICTID of every SPDY/3 header stream).
        let (mut a, mut b) = (1u32, 0u32);
        for x in &d {
            a = (a + *x as u32) % 65521;
            b = (b + a) % 65521;
        }
        assert_eq!((b << 16) | a, 0xe3c6_a7c2);
        assert_eq!(&d[..11], b"\0\0\0\x07options");
        assert!(d.ends_with(b",*,enq=0."));
    }

    fn pf_headers(kind: &str, id: &str) -> Headers {
        vec![
            ("streamtype".into(), kind.into()),
            ("port".into(), "3306".into()),
            ("requestid".into(), id.into()),
        ]
    }

    #[tokio::test]
    async fn frames_round_trip_through_one_compression_context() {
        let frames = vec![
            Frame::SynStream {
                stream: 1,
                associated: 0,
                priority: 0,
                flags: 0,
                headers: pf_headers("error", "0"),
            },
            Frame::Data {
                stream: 1,
                flags: FLAG_FIN,
                data: Bytes::new(),
            },
            Frame::SynStream {
                stream: 3,
                associated: 0,
                priority: 0,
                flags: 0,
                headers: pf_headers("data", "0"),
            },
            Frame::SynReply {
                stream: 3,
                flags: 0,
                headers: vec![],
            },
            Frame::Data {
                stream: 3,
                flags: 0,
                data: Bytes::from_static(b"hello"),
            },
            Frame::Ping(1),
            Frame::RstStream {
                stream: 3,
                status: RST_CANCEL,
            },
            Frame::WindowUpdate {
                stream: 3,
                delta: 10,
            },
            Frame::Settings,
            Frame::Headers {
                stream: 3,
                flags: FLAG_FIN,
                headers: pf_headers("data", "7"),
            },
            Frame::GoAway {
                last_good: 3,
                status: GOAWAY_OK,
            },
        ];
        let mut enc = FrameEncoder::default();
        let mut wire = Vec::new();
        for f in &frames {
            wire.extend(enc.encode(f));
        }
        let mut r = FrameReader::new(&wire[..]);
        for f in &frames {
            assert_eq!(r.next().await.unwrap().as_ref(), Some(f));
        }
        assert!(r.next().await.unwrap().is_none());
        assert_eq!(header(&pf_headers("data", "0"), "StreamType"), Some("data"));
    }

    #[tokio::test]
    async fn frames_split_at_any_byte_still_decode() {
        // A WebSocket tunnel delivers the byte stream in arbitrary pieces.
        let mut enc = FrameEncoder::default();
        let f = Frame::SynStream {
            stream: 5,
            associated: 0,
            priority: 0,
            flags: 0,
            headers: pf_headers("data", "2"),
        };
        let wire = enc.encode(&f);
        let (mut a, b) = tokio::io::duplex(1);
        let writer = tokio::spawn(async move {
            for byte in wire {
                a.write_all(&[byte]).await.unwrap();
            }
        });
        let mut r = FrameReader::new(b);
        assert_eq!(r.next().await.unwrap(), Some(f));
        writer.await.unwrap();
    }

    #[tokio::test]
    async fn garbage_is_an_error_not_a_panic() {
        let bad = control(SYN_STREAM, 0, &[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 2, 3]);
        let mut r = FrameReader::new(&bad[..]);
        assert!(r.next().await.is_err());
        let short = control(PING, 0, &[0, 1]);
        assert!(FrameReader::new(&short[..]).next().await.is_err());
        let v2 = [0x80, 2, 0, 6, 0, 0, 0, 4, 0, 0, 0, 1];
        assert!(FrameReader::new(&v2[..]).next().await.is_err());
    }
}
