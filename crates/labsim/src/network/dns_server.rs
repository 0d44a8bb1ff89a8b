//! The cluster DNS server: UDP and TCP on 10.96.0.10:53 in the cluster namespace, answering
//! from the current [`records`](super::records) snapshot as CoreDNS answers (`aa` set, `ra`
//! not: CoreDNS's `kubernetes` plugin is authoritative and dig warns "recursion requested but
//! not available"; the zone's SOA in the authority section of NXDOMAIN and NODATA answers).
//!
//! The wire format is hickory-proto's (the codec of Hickory DNS, a maintained DNS
//! implementation): parsing untrusted packets and name compression are where a hand-written
//! codec goes wrong; the answering logic stays ours, in `records.rs`.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::op::{Edns, Message, OpCode, ResponseCode};
use hickory_proto::rr::rdata::{A, PTR, SOA, SRV};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

use super::records::{self, Answer, Data, QType, Service, DOMAIN, TTL};
use super::{ClusterNet, DNS_IP};
use crate::shutdown::Shutdown;

/// The Services the answers come from, replaced whole on every change.
pub type Zone = watch::Receiver<Arc<Vec<Service>>>;

/// The bound sockets (binding fails loudly at start, serving runs as tasks).
pub struct Bound {
    udp: tokio::net::UdpSocket,
    tcp: tokio::net::TcpListener,
}

/// Binds 10.96.0.10:53 (UDP and TCP) in the cluster namespace.
pub fn bind(net: &ClusterNet) -> io::Result<Bound> {
    let addr = SocketAddr::from((DNS_IP, 53));
    Ok(Bound {
        udp: net.bind_udp(addr)?,
        tcp: net.listen_tcp(addr)?,
    })
}

/// Serves until `shutdown`.
pub async fn serve(bound: Bound, zone: Zone, shutdown: Shutdown) {
    let Bound { udp, tcp } = bound;
    let udp_zone = zone.clone();
    let udp_task = async move {
        let mut buf = vec![0u8; 4096];
        loop {
            let Ok((n, peer)) = udp.recv_from(&mut buf).await else {
                // (An ICMP error of an earlier reply; never spin on one.)
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            };
            let services = udp_zone.borrow().clone();
            if let Some(reply) = respond(&services, &buf[..n], true) {
                let _ = udp.send_to(&reply, peer).await;
            }
        }
    };
    let tcp_task = async move {
        loop {
            let Ok((conn, _)) = tcp.accept().await else {
                // (Out of file descriptors, say: wait rather than spin.)
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            tokio::spawn(serve_tcp(conn, zone.clone()));
        }
    };
    tokio::select! {
        _ = shutdown.wait() => {}
        _ = udp_task => {}
        _ = tcp_task => {}
    }
}

/// DNS over TCP: two-byte length, message; several queries per connection, idle 10 s.
async fn serve_tcp(mut conn: tokio::net::TcpStream, zone: Zone) {
    loop {
        let mut len = [0u8; 2];
        let read = async {
            conn.read_exact(&mut len).await?;
            let mut msg = vec![0u8; u16::from_be_bytes(len) as usize];
            conn.read_exact(&mut msg).await?;
            io::Result::Ok(msg)
        };
        let Ok(Ok(msg)) = tokio::time::timeout(Duration::from_secs(10), read).await else {
            return;
        };
        let services = zone.borrow().clone();
        let Some(reply) = respond(&services, &msg, false) else {
            return;
        };
        let mut out = (reply.len() as u16).to_be_bytes().to_vec();
        out.extend_from_slice(&reply);
        if conn.write_all(&out).await.is_err() {
            return;
        }
    }
}

fn name(s: &str) -> Option<Name> {
    Name::from_ascii(format!("{}.", s.trim_end_matches('.'))).ok()
}

/// The SOA CoreDNS's `kubernetes` plugin puts in negative answers for its zone `apex`.
fn soa(apex: &str) -> Option<Record> {
    let serial = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as u32)
        .unwrap_or(1);
    let rdata = SOA::new(
        name(&format!("ns.dns.{DOMAIN}"))?,
        name(&format!("hostmaster.{DOMAIN}"))?,
        serial,
        7200,
        1800,
        86400,
        TTL,
    );
    Some(Record::from_rdata(name(apex)?, TTL, RData::SOA(rdata)))
}

fn record(owner: &str, query_name: &Name, data: Data) -> Option<Record> {
    // The owner keeps the asker's spelling when it is the question's name.
    let owner = if query_name
        .to_ascii()
        .trim_end_matches('.')
        .eq_ignore_ascii_case(owner)
    {
        query_name.clone()
    } else {
        name(owner)?
    };
    let rdata = match data {
        Data::A(ip) => RData::A(A(ip)),
        Data::Ptr(target) => RData::PTR(PTR(name(&target)?)),
        Data::Srv {
            priority,
            weight,
            port,
            target,
        } => RData::SRV(SRV::new(priority, weight, port, name(&target)?)),
    };
    Some(Record::from_rdata(owner, TTL, rdata))
}

/// The reply to one DNS message (`None`: not even a header to answer to). `udp`: truncate to
/// the client's payload size (512 without EDNS), setting TC so the client retries over TCP.
pub fn respond(services: &[Service], query: &[u8], udp: bool) -> Option<Vec<u8>> {
    let req = match Message::from_vec(query) {
        Ok(m) => m,
        Err(_) if query.len() >= 2 => {
            let id = u16::from_be_bytes([query[0], query[1]]);
            return Message::error_msg(id, OpCode::Query, ResponseCode::FormErr)
                .to_vec()
                .ok();
        }
        Err(_) => return None,
    };
    let mut resp = Message::response(req.metadata.id, req.metadata.op_code);
    resp.metadata.recursion_desired = req.metadata.recursion_desired;
    resp.metadata.checking_disabled = req.metadata.checking_disabled;
    let max_payload = match &req.edns {
        Some(e) => {
            let mut edns = Edns::new();
            edns.set_max_payload(1232);
            resp.set_edns(edns);
            e.max_payload().clamp(512, 1232) as usize
        }
        None => 512,
    };
    if req.metadata.op_code != OpCode::Query {
        resp.metadata.response_code = ResponseCode::NotImp;
        return resp.to_vec().ok();
    }
    let [q] = req.queries.as_slice() else {
        resp.metadata.response_code = ResponseCode::FormErr;
        return resp.to_vec().ok();
    };
    resp.add_query(q.clone());
    let qname = q.name().to_ascii().to_ascii_lowercase();
    let qname = qname.trim_end_matches('.');
    let qtype = match q.query_type() {
        RecordType::A => QType::A,
        RecordType::PTR => QType::Ptr,
        RecordType::SRV => QType::Srv,
        _ => QType::Other,
    };
    // The zone whose SOA goes with a negative answer (none outside the cluster's zones).
    let apex = if qname == DOMAIN || qname.ends_with(&format!(".{DOMAIN}")) {
        Some(DOMAIN)
    } else if qname.ends_with("in-addr.arpa") {
        Some("in-addr.arpa")
    } else {
        None
    };
    resp.metadata.authoritative = apex.is_some();
    match records::answer(services, qname, qtype) {
        Answer::Found {
            mut answers,
            additional,
        } => {
            // CoreDNS's `loadbalance` plugin (in minikube's Corefile) shuffles A records.
            if qtype == QType::A {
                use rand::seq::SliceRandom;
                answers.shuffle(&mut rand::thread_rng());
            }
            for (owner, d) in answers {
                resp.add_answer(record(&owner, q.name(), d)?);
            }
            for (owner, d) in additional {
                resp.add_additional(record(&owner, q.name(), d)?);
            }
        }
        Answer::NoData => {
            if let Some(soa) = apex.and_then(soa) {
                resp.add_authority(soa);
            }
        }
        Answer::NxDomain => {
            resp.metadata.response_code = ResponseCode::NXDomain;
            if let Some(soa) = apex.and_then(soa) {
                resp.add_authority(soa);
            }
        }
    }
    let bytes = resp.to_vec().ok()?;
    if udp && bytes.len() > max_payload {
        let mut t = resp.truncate();
        t.metadata.truncation = true;
        return t.to_vec().ok();
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::{MessageType, Query};
    use serde_json::json;

    /// A headless Service with `n` ready endpoints.
    fn headless(n: usize) -> Vec<Service> {
        let addrs: Vec<_> = (0..n)
            .map(|i| json!({"ip": format!("10.244.0.{}", i + 2), "hostname": format!("web-{i}")}))
            .collect();
        vec![records::service_of(
            &json!({"metadata": {"name": "web", "namespace": "default"},
                "spec": {"clusterIP": "None", "ports": [{"name": "http", "port": 80}]}}),
            &json!({"subsets": [{"addresses": addrs, "ports": [{"name": "http", "port": 80}]}]}),
        )]
    }

    fn ask(services: &[Service], name: &str, ty: RecordType, udp: bool) -> Message {
        let mut q = Message::query();
        q.metadata.recursion_desired = true;
        q.add_query(Query::query(Name::from_ascii(name).unwrap(), ty));
        let reply = respond(services, &q.to_vec().unwrap(), udp).unwrap();
        let m = Message::from_vec(&reply).unwrap();
        assert_eq!(m.metadata.id, q.metadata.id);
        assert_eq!(m.metadata.message_type, MessageType::Response);
        m
    }

    #[test]
    fn answers_like_coredns_kubernetes() {
        let s = headless(2);
        // Authoritative, recursion desired echoed, not available; TTL 30 (kubeadm's Corefile).
        let m = ask(
            &s,
            "web-1.web.default.svc.cluster.local.",
            RecordType::A,
            true,
        );
        assert!(m.metadata.authoritative && m.metadata.recursion_desired);
        assert!(!m.metadata.recursion_available);
        assert_eq!(m.metadata.response_code, ResponseCode::NoError);
        assert_eq!(m.answers.len(), 1);
        assert_eq!(m.answers[0].ttl, TTL);
        assert_eq!(
            m.answers[0].data,
            RData::A(A("10.244.0.3".parse().unwrap()))
        );
        // NXDOMAIN carries the zone's SOA; NODATA too, without an answer.
        let m = ask(&s, "nope.default.svc.cluster.local.", RecordType::A, true);
        assert_eq!(m.metadata.response_code, ResponseCode::NXDomain);
        assert!(matches!(m.authorities[0].data, RData::SOA(_)));
        let m = ask(&s, "web.default.svc.cluster.local.", RecordType::AAAA, true);
        assert_eq!(m.metadata.response_code, ResponseCode::NoError);
        assert!(m.answers.is_empty() && !m.authorities.is_empty());
        // Outside the cluster: NXDOMAIN, not authoritative, no SOA (labsim has no upstream).
        let m = ask(&s, "example.com.", RecordType::A, true);
        assert_eq!(m.metadata.response_code, ResponseCode::NXDomain);
        assert!(!m.metadata.authoritative && m.authorities.is_empty());
    }

    #[test]
    fn big_answers_are_truncated_over_udp_and_whole_over_tcp() {
        // 60 endpoints do not fit 512 bytes: UDP says TC (the client retries over TCP).
        let s = headless(60);
        let m = ask(&s, "web.default.svc.cluster.local.", RecordType::A, true);
        assert!(m.metadata.truncation);
        let m = ask(&s, "web.default.svc.cluster.local.", RecordType::A, false);
        assert!(!m.metadata.truncation);
        assert_eq!(m.answers.len(), 60);
    }

    #[test]
    fn garbage_gets_formerr_and_other_opcodes_notimp() {
        let reply = respond(&[], &[0x12, 0x34, 0xff], true).unwrap();
        let m = Message::from_vec(&reply).unwrap();
        assert_eq!(m.metadata.id, 0x1234);
        assert_eq!(m.metadata.response_code, ResponseCode::FormErr);
        assert_eq!(respond(&[], &[0x12], true), None);
        let mut q = Message::new(7, MessageType::Query, OpCode::Status);
        q.add_query(Query::query(Name::from_ascii("a.").unwrap(), RecordType::A));
        let m = Message::from_vec(&respond(&[], &q.to_vec().unwrap(), true).unwrap()).unwrap();
        assert_eq!(m.metadata.response_code, ResponseCode::NotImp);
    }
}
