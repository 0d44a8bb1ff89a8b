//! The protocol between a cell and the kernel's engine: length-prefixed frames over a Unix socket.
//!
//! A cell sends one `Call` (the operation and its arguments as strings) and reads frames until a
//! `Value` or a `Failure`: `Out` frames are lines to print as they come (the kubectl command, watch
//! lines). Std only, so both sides share this file's code through the `kubelab` crate, and
//! kubelab-core builds on its data types ([`TableData`] and its accessors, [`PodReadyData`]).

use std::io::{self, Read, Write};
use std::time::Duration;

/// One frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// Operation name and arguments.
    Call(Vec<String>),
    /// A printed line (may contain newlines).
    Out(String),
    /// The call's result.
    Value(Value),
    /// The call failed: a short Korean name and the message (cause and next step).
    Failure { name: String, message: String },
}

/// A call's result: how it shows (text and HTML) plus the data its accessors read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Value {
    /// What kind of result this is (`table`, `watch`, `sql`, ...).
    pub kind: String,
    /// Plain-text rendering (terminal, REPL).
    pub text: String,
    /// HTML rendering (Jupyter).
    pub html: String,
    /// Tables carried by the result (a `get`, the pods of a watch, SQL result sets).
    pub tables: Vec<TableData>,
    /// Named lists of strings (`ready_order`, `uid`, ...).
    pub attrs: Vec<(String, Vec<String>)>,
}

/// Columns and rows of a table (`None` = SQL NULL).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableData {
    /// Column names.
    pub columns: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<Option<String>>>,
}

impl TableData {
    /// Column names.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// All rows (`None` = SQL NULL).
    pub fn rows(&self) -> &[Vec<Option<String>>] {
        &self.rows
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The values of one column (`NULL` as "NULL"); empty when there is no such column.
    pub fn column(&self, name: &str) -> Vec<String> {
        column_values(&self.columns, &self.rows, name)
            .into_iter()
            .map(|c| c.unwrap_or_else(|| "NULL".into()))
            .collect()
    }

    /// The cell in `column` of the row whose first cell is `key` (e.g. `get("mysql-0", "STATUS")`).
    pub fn get(&self, key: &str, column: &str) -> Option<String> {
        let i = self.columns.iter().position(|c| c == column)?;
        self.rows
            .iter()
            .find(|r| r.first().cloned().flatten().as_deref() == Some(key))
            .and_then(|r| r.get(i).cloned().flatten())
    }
}

/// The values of column `name` in `rows` (`None` = NULL); empty when there is no such column.
pub fn column_values(
    columns: &[String],
    rows: &[Vec<Option<String>>],
    name: &str,
) -> Vec<Option<String>> {
    match columns.iter().position(|c| c == name) {
        Some(i) => rows.iter().map(|r| r.get(i).cloned().flatten()).collect(),
        None => Vec::new(),
    }
}

/// A pod that became Ready (`wait_ready`): what the engine sends and a cell reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PodReadyData {
    /// Pod name.
    pub name: String,
    /// Its UID (differs from the deleted pod's).
    pub uid: String,
    /// Node it runs on.
    pub node: String,
    /// Pod IP.
    pub ip: String,
    /// Time waited.
    pub elapsed: Duration,
    /// True when this is a re-created pod (new UID).
    pub recreated: bool,
}

impl PodReadyData {
    /// `v` with this data as attributes.
    pub fn into_value(self, v: Value) -> Value {
        v.with("name", vec![self.name])
            .with("uid", vec![self.uid])
            .with("node", vec![self.node])
            .with("ip", vec![self.ip])
            .with("elapsed_ms", vec![self.elapsed.as_millis().to_string()])
            .with("recreated", vec![self.recreated.to_string()])
    }

    /// The data `into_value` put in `v`.
    pub fn from_value(v: &Value) -> PodReadyData {
        PodReadyData {
            name: v.attr("name").into(),
            uid: v.attr("uid").into(),
            node: v.attr("node").into(),
            ip: v.attr("ip").into(),
            elapsed: Duration::from_millis(v.attr("elapsed_ms").parse().unwrap_or(0)),
            recreated: v.attr("recreated") == "true",
        }
    }
}

impl Value {
    /// The first value of attribute `key`, or "".
    pub fn attr(&self, key: &str) -> &str {
        self.attrs(key).first().map(String::as_str).unwrap_or("")
    }

    /// All values of attribute `key`.
    pub fn attrs(&self, key: &str) -> &[String] {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_slice())
            .unwrap_or(&[])
    }

    /// Adds attribute `key`.
    pub fn with(mut self, key: &str, values: Vec<String>) -> Value {
        self.attrs.push((key.to_string(), values));
        self
    }
}

const CALL: u8 = b'C';
const OUT: u8 = b'O';
const VALUE: u8 = b'V';
const FAILURE: u8 = b'F';
/// A string field's length that marks NULL.
const NULL: u32 = u32::MAX;
/// Upper bound for one frame (a big SQL result is a few MB at most).
const MAX_FRAME: usize = 256 << 20;

/// Writes one frame.
pub fn write_frame(w: &mut impl Write, frame: &Frame) -> io::Result<()> {
    let mut body = Vec::new();
    let tag = match frame {
        Frame::Call(args) => {
            put_count(&mut body, args.len());
            for a in args {
                put(&mut body, Some(a));
            }
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
        Frame::Failure { name, message } => {
            put(&mut body, Some(name));
            put(&mut body, Some(message));
            FAILURE
        }
    };
    let mut head = vec![tag];
    head.extend_from_slice(&(body.len() as u32).to_le_bytes());
    w.write_all(&head)?;
    w.write_all(&body)?;
    w.flush()
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
    let len = u32::from_le_bytes([head[1], head[2], head[3], head[4]]) as usize;
    if len > MAX_FRAME {
        return Err(bad("frame too large"));
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body)?;
    let mut c = Cursor { b: &body, at: 0 };
    let frame = match head[0] {
        CALL => {
            let n = c.count()?;
            let mut args = Vec::with_capacity(n);
            for _ in 0..n {
                args.push(c.string()?);
            }
            Frame::Call(args)
        }
        OUT => Frame::Out(c.string()?),
        VALUE => Frame::Value(c.value()?),
        FAILURE => Frame::Failure {
            name: c.string()?,
            message: c.string()?,
        },
        t => return Err(bad(&format!("unknown frame tag {t}"))),
    };
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
    put_count(b, v.tables.len());
    for t in &v.tables {
        put_count(b, t.columns.len());
        for c in &t.columns {
            put(b, Some(c));
        }
        put_count(b, t.rows.len());
        for r in &t.rows {
            put_count(b, r.len());
            for cell in r {
                put(b, cell.as_deref());
            }
        }
    }
    put_count(b, v.attrs.len());
    for (k, vals) in &v.attrs {
        put(b, Some(k));
        put_count(b, vals.len());
        for s in vals {
            put(b, Some(s));
        }
    }
}

struct Cursor<'a> {
    b: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn u32(&mut self) -> io::Result<u32> {
        let s = self
            .b
            .get(self.at..self.at + 4)
            .ok_or_else(|| bad("short frame"))?;
        self.at += 4;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }

    fn count(&mut self) -> io::Result<usize> {
        let n = self.u32()? as usize;
        // every counted item takes at least 4 bytes: a count beyond the frame is corrupt
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
        let n = n as usize;
        let s = self
            .b
            .get(self.at..self.at + n)
            .ok_or_else(|| bad("short frame"))?;
        self.at += n;
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
            ..Value::default()
        };
        for _ in 0..self.count()? {
            let mut t = TableData::default();
            for _ in 0..self.count()? {
                t.columns.push(self.string()?);
            }
            for _ in 0..self.count()? {
                let mut row = Vec::new();
                for _ in 0..self.count()? {
                    row.push(self.opt_string()?);
                }
                t.rows.push(row);
            }
            v.tables.push(t);
        }
        for _ in 0..self.count()? {
            let k = self.string()?;
            let mut vals = Vec::new();
            for _ in 0..self.count()? {
                vals.push(self.string()?);
            }
            v.attrs.push((k, vals));
        }
        Ok(v)
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
        roundtrip(Frame::Call(vec![
            "apply".into(),
            "../manifests/1-sts-mysql.yaml".into(),
        ]));
        roundtrip(Frame::Out("$ kubectl get pods\n한글 줄".into()));
        roundtrip(Frame::Failure {
            name: "파드 없음".into(),
            message: "파드 'mysql-9'가 없습니다.".into(),
        });
        roundtrip(Frame::Value(
            Value {
                kind: "sql".into(),
                text: "+----+".into(),
                html: "<table></table>".into(),
                tables: vec![TableData {
                    columns: vec!["id".into(), "name".into()],
                    rows: vec![vec![Some("1".into()), None]],
                }],
                attrs: vec![],
            }
            .with("ready_order", vec!["mysql-0".into(), "mysql-1".into()]),
        ));
    }

    #[test]
    fn table_accessors_and_pod_ready_attributes() {
        let t = TableData {
            columns: vec!["NAME".into(), "STATUS".into()],
            rows: vec![
                vec![Some("mysql-0".into()), Some("Running".into())],
                vec![Some("mysql-1".into()), None],
            ],
        };
        assert_eq!((t.len(), t.is_empty()), (2, false));
        assert_eq!(t.column("STATUS"), ["Running", "NULL"]);
        assert_eq!(t.get("mysql-0", "STATUS").as_deref(), Some("Running"));
        assert_eq!(t.get("mysql-1", "STATUS"), None);
        assert!(t.column("NOPE").is_empty());
        let r = PodReadyData {
            name: "mysql-0".into(),
            uid: "u".into(),
            node: "minikube-m02".into(),
            ip: "10.244.1.2".into(),
            elapsed: Duration::from_millis(1234),
            recreated: true,
        };
        assert_eq!(
            PodReadyData::from_value(&r.clone().into_value(Value::default())),
            r
        );
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
