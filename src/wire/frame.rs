//! Frames and their bytes: a tag byte, a little-endian u32 length, then the body. Strings are a
//! u32 length and UTF-8 bytes (`u32::MAX` = NULL); a value's fields nest.

use std::io::{self, Read, Write};

use super::fields::{Field, Value};
use crate::Error;

/// One frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// A call: the operation's name as the kind, its arguments as named fields (see
    /// [`Call`](crate::Call)).
    Call(Value),
    /// A printed line (may contain newlines).
    Out(String),
    /// The call's result.
    Value(Value),
    /// The call failed: the failure as the cell gets it.
    Failure(Error),
}

const CALL: u8 = b'C';
const OUT: u8 = b'O';
const VALUE: u8 = b'V';
const FAILURE: u8 = b'F';
/// A string field's length that marks NULL.
const NULL: u32 = u32::MAX;
/// Upper bound for one frame (a big SQL result is a few MB at most).
const MAX_FRAME: usize = 256 << 20;

const STR: u8 = b's';
const LIST: u8 = b'l';
const VALUE_FIELD: u8 = b'v';

/// Writes one frame.
pub fn write_frame(w: &mut impl Write, frame: &Frame) -> io::Result<()> {
    let mut body = Vec::new();
    let tag = match frame {
        Frame::Call(v) => {
            put_value(&mut body, v);
            CALL
        }
        Frame::Out(line) => {
            put(&mut body, Some(line));
            OUT
        }
        Frame::Value(v) => {
            put_value(&mut body, v);
            VALUE
        }
        Frame::Failure(e) => {
            put(&mut body, Some(e.name()));
            put(&mut body, Some(e.message()));
            FAILURE
        }
    };
    let mut head = vec![tag];
    head.extend_from_slice(&(body.len() as u32).to_le_bytes());
    w.write_all(&head)?;
    w.write_all(&body)?;
    w.flush()
}

/// The body length a frame head announces (for readers that fetch the body themselves).
pub fn body_len(head: &[u8; 5]) -> io::Result<usize> {
    let len = u32::from_le_bytes([head[1], head[2], head[3], head[4]]) as usize;
    if len > MAX_FRAME {
        return Err(bad("frame too large"));
    }
    Ok(len)
}

/// Reads one frame; `Ok(None)` at a clean end of stream.
pub fn read_frame(r: &mut impl Read) -> io::Result<Option<Frame>> {
    let mut head = [0u8; 5];
    match r.read_exact(&mut head[..1]) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    r.read_exact(&mut head[1..])?;
    let mut body = vec![0u8; body_len(&head)?];
    r.read_exact(&mut body)?;
    let mut c = Cursor { b: &body, at: 0 };
    let frame = match head[0] {
        CALL => Frame::Call(c.value()?),
        OUT => Frame::Out(c.string()?),
        VALUE => Frame::Value(c.value()?),
        FAILURE => {
            let name = c.string()?;
            Frame::Failure(Error::new(&name, c.string()?))
        }
        t => return Err(bad(&format!("unknown frame tag {t}"))),
    };
    if c.at != body.len() {
        return Err(bad("bytes after the frame's body"));
    }
    Ok(Some(frame))
}

fn put_count(b: &mut Vec<u8>, n: usize) {
    b.extend_from_slice(&(n as u32).to_le_bytes());
}

fn put(b: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => {
            put_count(b, s.len());
            b.extend_from_slice(s.as_bytes());
        }
        None => b.extend_from_slice(&NULL.to_le_bytes()),
    }
}

fn put_value(b: &mut Vec<u8>, v: &Value) {
    put(b, Some(&v.kind));
    put(b, Some(&v.text));
    put(b, Some(&v.html));
    put_count(b, v.fields.len());
    for (k, f) in &v.fields {
        put(b, Some(k));
        put_field(b, f);
    }
}

fn put_field(b: &mut Vec<u8>, f: &Field) {
    match f {
        Field::Str(s) => {
            b.push(STR);
            put(b, s.as_deref());
        }
        Field::List(items) => {
            b.push(LIST);
            put_count(b, items.len());
            for i in items {
                put_field(b, i);
            }
        }
        Field::Value(v) => {
            b.push(VALUE_FIELD);
            put_value(b, v);
        }
    }
}

struct Cursor<'a> {
    b: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> io::Result<&[u8]> {
        let s = self
            .b
            .get(self.at..self.at + n)
            .ok_or_else(|| bad("short frame"))?;
        self.at += n;
        Ok(s)
    }

    fn u32(&mut self) -> io::Result<u32> {
        let s = self.take(4)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }

    fn count(&mut self) -> io::Result<usize> {
        let n = self.u32()? as usize;
        // every counted item takes at least one byte: a count beyond the frame is corrupt
        if n > self.b.len() {
            return Err(bad("count beyond frame"));
        }
        Ok(n)
    }

    fn opt_string(&mut self) -> io::Result<Option<String>> {
        let n = self.u32()?;
        if n == NULL {
            return Ok(None);
        }
        let s = self.take(n as usize)?;
        String::from_utf8(s.to_vec())
            .map(Some)
            .map_err(|_| bad("not UTF-8"))
    }

    fn string(&mut self) -> io::Result<String> {
        self.opt_string()?.ok_or_else(|| bad("unexpected NULL"))
    }

    fn value(&mut self) -> io::Result<Value> {
        let mut v = Value {
            kind: self.string()?,
            text: self.string()?,
            html: self.string()?,
            fields: Vec::new(),
        };
        for _ in 0..self.count()? {
            let key = self.string()?;
            v.fields.push((key, self.field()?));
        }
        Ok(v)
    }

    fn field(&mut self) -> io::Result<Field> {
        Ok(match self.take(1)?[0] {
            STR => Field::Str(self.opt_string()?),
            LIST => Field::List(
                (0..self.count()?)
                    .map(|_| self.field())
                    .collect::<io::Result<_>>()?,
            ),
            VALUE_FIELD => Field::Value(Box::new(self.value()?)),
            t => return Err(bad(&format!("unknown field tag {t}"))),
        })
    }
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("kubelab wire: {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(f: Frame) {
        let mut buf = Vec::new();
        write_frame(&mut buf, &f).unwrap();
        let mut r = &buf[..];
        assert_eq!(read_frame(&mut r).unwrap(), Some(f));
        assert_eq!(
            read_frame(&mut r).unwrap(),
            None,
            "clean end after one frame"
        );
    }

    #[test]
    fn every_frame_survives_a_roundtrip() {
        roundtrip(Frame::Call(Value {
            kind: "apply".into(),
            fields: vec![(
                "path".into(),
                Field::Str(Some("../manifests/1-sts-mysql.yaml".into())),
            )],
            ..Value::default()
        }));
        roundtrip(Frame::Out("$ kubectl get pods\n한글 줄".into()));
        roundtrip(Frame::Failure(Error::new(
            "파드 없음",
            "파드 'mysql-9'가 없습니다.",
        )));
        let inner = Value {
            kind: "table".into(),
            text: "+----+".into(),
            html: "<table></table>".into(),
            fields: vec![(
                "rows".into(),
                Field::List(vec![Field::List(vec![
                    Field::Str(Some("1".into())),
                    Field::Str(None),
                ])]),
            )],
        };
        roundtrip(Frame::Value(Value {
            kind: "sql".into(),
            text: "t".into(),
            html: "h".into(),
            fields: vec![
                ("ready_order".into(), Field::Str(Some("mysql-0".into()))),
                ("results".into(), Field::Value(Box::new(inner))),
            ],
        }));
    }

    #[test]
    fn a_truncated_or_corrupt_frame_is_an_error_not_a_panic() {
        let mut buf = Vec::new();
        write_frame(&mut buf, &Frame::Out("hello".into())).unwrap();
        for cut in 1..buf.len() {
            assert!(read_frame(&mut &buf[..cut]).is_err(), "cut at {cut}");
        }
        let mut junk = vec![b'V'];
        junk.extend_from_slice(&8u32.to_le_bytes());
        junk.extend_from_slice(&[0xff; 8]);
        assert!(read_frame(&mut &junk[..]).is_err());
        assert!(read_frame(&mut &[b'Z', 0, 0, 0, 0][..]).is_err());
    }
}
