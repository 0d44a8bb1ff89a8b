//! Jupyter messages on the wire: identities, `<IDS|MSG>`, an HMAC-SHA256 signature, then header,
//! parent header, metadata and content as JSON (Jupyter messaging protocol 5.3).

use bytes::Bytes;
use hmac::{KeyInit, Mac};
use serde_json::{json, Value};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

const DELIMITER: &[u8] = b"<IDS|MSG>";

/// Signs and checks messages with the connection file's key (no key: no signature).
#[derive(Clone)]
pub struct Signer {
    mac: Option<HmacSha256>,
}

impl Signer {
    pub fn new(key: &str) -> Signer {
        Signer {
            mac: (!key.is_empty())
                .then(|| HmacSha256::new_from_slice(key.as_bytes()).expect("any key length")),
        }
    }

    fn sign(&self, parts: &[Vec<u8>]) -> String {
        match &self.mac {
            None => String::new(),
            Some(m) => {
                let mut m = m.clone();
                for p in parts {
                    m.update(p);
                }
                hex::encode(m.finalize().into_bytes())
            }
        }
    }
}

/// One message.
#[derive(Debug, Clone)]
pub struct Message {
    pub identities: Vec<Bytes>,
    pub header: Value,
    pub parent: Value,
    pub metadata: Value,
    pub content: Value,
}

impl Message {
    /// Parses and checks the signature of a received multipart message.
    pub fn parse(parts: Vec<Bytes>, signer: &Signer) -> Result<Message, String> {
        let d = parts
            .iter()
            .position(|p| &p[..] == DELIMITER)
            .ok_or("no <IDS|MSG> delimiter")?;
        if parts.len() < d + 6 {
            return Err("too few message parts".into());
        }
        let json_parts: Vec<Vec<u8>> = parts[d + 2..d + 6].iter().map(|p| p.to_vec()).collect();
        if signer.mac.is_some() && signer.sign(&json_parts).as_bytes() != &parts[d + 1][..] {
            return Err("bad signature".into());
        }
        let j = |i: usize| serde_json::from_slice(&json_parts[i]).map_err(|e| e.to_string());
        Ok(Message {
            identities: parts[..d].to_vec(),
            header: j(0)?,
            parent: j(1)?,
            metadata: j(2)?,
            content: j(3)?,
        })
    }

    /// The signed multipart form.
    pub fn to_parts(&self, signer: &Signer) -> Vec<Bytes> {
        let json_parts: Vec<Vec<u8>> = [&self.header, &self.parent, &self.metadata, &self.content]
            .iter()
            .map(|v| serde_json::to_vec(v).expect("JSON values serialize"))
            .collect();
        let mut out: Vec<Bytes> = self.identities.clone();
        out.push(Bytes::from_static(DELIMITER));
        out.push(Bytes::from(signer.sign(&json_parts)));
        out.extend(json_parts.into_iter().map(Bytes::from));
        out
    }

    pub fn msg_type(&self) -> &str {
        self.header["msg_type"].as_str().unwrap_or("")
    }

    /// A message of `msg_type` whose parent is this one (identities not kept: for IOPub).
    pub fn child(&self, msg_type: &str, content: Value) -> Message {
        Message {
            identities: Vec::new(),
            header: json!({
                "msg_id": uuid::Uuid::new_v4().to_string(),
                "session": self.header["session"],
                "username": "kernel",
                "date": chrono::Utc::now().to_rfc3339(),
                "msg_type": msg_type,
                "version": "5.3",
            }),
            parent: self.header.clone(),
            metadata: json!({}),
            content,
        }
    }

    /// The `_reply` to this `_request`, addressed to the same peer.
    pub fn reply(&self, content: Value) -> Message {
        let t = self.msg_type().replace("_request", "_reply");
        let mut m = self.child(&t, content);
        m.identities = self.identities.clone();
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_message_parses_back_and_a_tampered_one_does_not() {
        let s = Signer::new("secret");
        let req = Message {
            identities: vec![Bytes::from_static(b"peer")],
            header: json!({"msg_type": "execute_request", "session": "s1", "msg_id": "1"}),
            parent: json!({}),
            metadata: json!({}),
            content: json!({"code": "nodes()?"}),
        };
        let parts = req.to_parts(&s);
        let back = Message::parse(parts.clone(), &s).unwrap();
        assert_eq!(back.content["code"], "nodes()?");
        assert_eq!(back.identities, req.identities);
        let reply = back.reply(json!({"status": "ok"}));
        assert_eq!(reply.msg_type(), "execute_reply");
        assert_eq!(reply.parent["msg_id"], "1");
        assert_eq!(reply.identities, req.identities);

        let mut bad = parts;
        let n = bad.len();
        bad[n - 1] = Bytes::from_static(br#"{"code":"delete_data()?"}"#);
        assert!(Message::parse(bad, &s).is_err());
    }
}
