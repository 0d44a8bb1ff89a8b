//! The Kubernetes protobuf envelope: the `k8s\0` magic and the `runtime.Unknown` message around
//! a typed object, opened as upstream's serializer does
//! (k8s.io/apimachinery `pkg/runtime/serializer/protobuf/protobuf.go`, `Serializer.Decode`;
//! the message is `pkg/runtime/generated.proto`'s `Unknown`).

use k8s_pb::apimachinery::pkg::runtime::Unknown;
use prost::Message;

/// The 4-byte prefix of every Kubernetes protobuf body (`protoEncodingPrefix`).
pub const MAGIC: [u8; 4] = [0x6b, 0x38, 0x73, 0x00];

/// What the envelope says and holds.
#[derive(Debug, PartialEq, Eq)]
pub struct Envelope {
    /// `typeMeta.apiVersion` ("" when the client left it out).
    pub api_version: String,
    /// `typeMeta.kind` ("" when the client left it out).
    pub kind: String,
    /// The typed message, e.g. a `k8s.io.api.core.v1.ConfigMap`.
    pub raw: Vec<u8>,
}

/// Opens a body. Errors: upstream's texts (`empty data`, the prefix error, `empty body`, and the
/// `Unknown` message's own decoding error).
pub fn open(body: &[u8]) -> Result<Envelope, String> {
    if body.is_empty() {
        return Err("empty data".into());
    }
    if body.len() < MAGIC.len() || body[..MAGIC.len()] != MAGIC {
        // Go's %v of a []byte: "[107 56 115 0]".
        let prefix: Vec<String> = MAGIC.iter().map(u8::to_string).collect();
        return Err(format!(
            "provided data does not appear to be a protobuf message, expected prefix [{}]",
            prefix.join(" ")
        ));
    }
    if body.len() == MAGIC.len() {
        return Err("empty body".into());
    }
    let unknown = Unknown::decode(&body[MAGIC.len()..]).map_err(decode_error)?;
    let type_meta = unknown.type_meta.unwrap_or_default();
    Ok(Envelope {
        api_version: type_meta.api_version.unwrap_or_default(),
        kind: type_meta.kind.unwrap_or_default(),
        raw: unknown.raw.unwrap_or_default(),
    })
}

/// A prost decoding error in the words of the gogo-generated `Unmarshal` upstream runs: a message
/// cut short is `unexpected EOF` (`io.ErrUnexpectedEOF`); anything else keeps prost's wording.
pub fn decode_error(e: prost::DecodeError) -> String {
    let text = e.to_string();
    if text.contains("buffer underflow") || text.contains("invalid varint") {
        "unexpected EOF".into()
    } else {
        format!(
            "proto: {}",
            text.trim_start_matches("failed to decode Protobuf message: ")
        )
    }
}

/// Wraps a typed message the way client-go's protobuf serializer does (tests build bodies
/// with it).
#[cfg(test)]
pub fn wrap(api_version: &str, kind: &str, raw: Vec<u8>) -> Vec<u8> {
    use k8s_pb::apimachinery::pkg::runtime::TypeMeta;
    let unknown = Unknown {
        type_meta: Some(TypeMeta {
            api_version: Some(api_version.into()),
            kind: Some(kind.into()),
        }),
        raw: Some(raw),
        content_encoding: Some(String::new()),
        content_type: Some(String::new()),
    };
    let mut out = MAGIC.to_vec();
    out.extend(unknown.encode_to_vec());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_what_client_go_writes() {
        let body = wrap("v1", "ConfigMap", vec![1, 2, 3]);
        let e = open(&body).unwrap();
        assert_eq!(
            e,
            Envelope {
                api_version: "v1".into(),
                kind: "ConfigMap".into(),
                raw: vec![1, 2, 3]
            }
        );
    }

    #[test]
    fn bad_magic_and_empty_bodies() {
        assert_eq!(open(b"").unwrap_err(), "empty data");
        assert_eq!(
            open(b"{\"kind\":\"ConfigMap\"}").unwrap_err(),
            "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]"
        );
        assert_eq!(
            open(b"k8s").unwrap_err(),
            "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]"
        );
        assert_eq!(open(&MAGIC).unwrap_err(), "empty body");
    }

    #[test]
    fn truncated_envelope() {
        let body = wrap("v1", "ConfigMap", vec![7; 40]);
        for cut in [MAGIC.len() + 1, MAGIC.len() + 5, body.len() - 3] {
            assert_eq!(
                open(&body[..cut]).unwrap_err(),
                "unexpected EOF",
                "cut at {cut}"
            );
        }
    }
}
