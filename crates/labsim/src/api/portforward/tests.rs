//! port-forward's unit tests: query parsing, the SPDY session against an in-memory client,
//! upgrade detection.

use std::time::Duration;

use axum::http::{header, HeaderMap};
use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWriteExt};

use super::pod::PodTarget;
use super::spdy_session::run_spdy;
use super::*;
use crate::api::spdy::{self, Frame, FrameReader};

#[test]
fn ports_parse() {
    assert_eq!(parse_ports(Some("ports=3306")).unwrap(), [3306]);
    assert_eq!(
        parse_ports(Some("ports=3306,80&ports=1")).unwrap(),
        [3306, 80, 1]
    );
    assert!(parse_ports(Some("ports=x")).is_err());
    assert!(parse_ports(None).is_err());
}

async fn next_frame<R: AsyncRead + Unpin>(frames: &mut FrameReader<R>) -> Option<Frame> {
    tokio::time::timeout(Duration::from_secs(10), frames.next())
        .await
        .expect("a frame in time")
        .unwrap()
}

/// A SPDY client speaking to `run_spdy` over an in-memory pipe, for a pod that exists (on
/// a node) but whose server is not running.
#[tokio::test]
async fn spdy_session_pairs_streams_reports_errors_and_ends_when_the_pod_goes() {
    use crate::api::spdy::{FrameEncoder, FLAG_FIN};
    use serde_json::json;
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(crate::store::Store::in_memory());
    let pod = store
        .create(
            resources::get("Pod"),
            Some("default"),
            json!({"metadata": {"name": "mysql-0"}, "spec": {"nodeName": "minikube",
                "containers": [{"name": "mysql", "image": "mysql:8.4"}]}}),
        )
        .unwrap();
    let app = App {
        kubelet: crate::kubelet::Kubelet::new(store.clone(), dir.path().to_path_buf()),
        store: store.clone(),
        token: "t".into(),
        state_dir: Arc::new(dir.path().to_path_buf()),
    };
    let target = PodTarget {
        app,
        namespace: "default".into(),
        name: "mysql-0".into(),
        uid: pod["metadata"]["uid"].as_str().unwrap().into(),
    };
    let (client, server) = tokio::io::duplex(64 * 1024);
    let (sr, sw) = tokio::io::split(server);
    let session = tokio::spawn(run_spdy(target, sr, sw, None));
    let (cr, mut cw) = tokio::io::split(client);
    let mut frames = FrameReader::new(cr);
    let mut enc = FrameEncoder::default();
    let mut send = |f: Frame| enc.encode(&f);
    let syn = |stream: u32, kind: &str, port: &str| Frame::SynStream {
        stream,
        associated: 0,
        priority: 0,
        flags: 0,
        headers: vec![
            ("streamtype".into(), kind.into()),
            ("port".into(), port.into()),
            ("requestid".into(), "0".into()),
        ],
    };

    // error stream, closed by the client at once (as kubectl does), then the data stream.
    cw.write_all(&send(syn(1, "error", "3306"))).await.unwrap();
    let fin = |stream| Frame::Data {
        stream,
        flags: FLAG_FIN,
        data: Bytes::new(),
    };
    cw.write_all(&send(fin(1))).await.unwrap();
    assert!(matches!(
        next_frame(&mut frames).await,
        Some(Frame::SynReply { stream: 1, .. })
    ));
    cw.write_all(&send(syn(3, "data", "3306"))).await.unwrap();
    assert!(matches!(
        next_frame(&mut frames).await,
        Some(Frame::SynReply { stream: 3, .. })
    ));
    // Nothing listens: the kubelet's message on the error stream, then FIN on both.
    let mut got = Vec::new();
    while got.len() < 3 {
        got.push(next_frame(&mut frames).await.unwrap());
    }
    let Frame::Data {
        stream: 1,
        data,
        flags: 0,
    } = &got[0]
    else {
        panic!("{got:?}")
    };
    let msg = String::from_utf8_lossy(data);
    assert!(
        msg.starts_with("error forwarding port 3306 to pod mysql-0, uid ")
            && msg.ends_with("connect: connection refused"),
        "{msg}"
    );
    assert!(got.contains(&fin(3)) && got.contains(&fin(1)), "{got:?}");

    // Pings are echoed; a stream without a port is refused.
    cw.write_all(&send(Frame::Ping(7))).await.unwrap();
    assert_eq!(next_frame(&mut frames).await, Some(Frame::Ping(7)));
    let no_port = Frame::SynStream {
        stream: 5,
        associated: 0,
        priority: 0,
        flags: 0,
        headers: vec![("streamtype".into(), "data".into())],
    };
    cw.write_all(&send(no_port)).await.unwrap();
    assert_eq!(
        next_frame(&mut frames).await,
        Some(Frame::RstStream {
            stream: 5,
            status: spdy::RST_INVALID_STREAM
        })
    );

    // The pod is removed: GOAWAY, then the connection closes.
    store
        .remove(resources::get("Pod"), Some("default"), "mysql-0")
        .unwrap();
    assert_eq!(
        next_frame(&mut frames).await,
        Some(Frame::GoAway {
            last_good: 5,
            status: spdy::GOAWAY_OK
        })
    );
    assert_eq!(next_frame(&mut frames).await, None);
    tokio::time::timeout(Duration::from_secs(10), session)
        .await
        .unwrap()
        .unwrap();
}

#[test]
fn spdy_upgrade_is_recognised() {
    let mut h = HeaderMap::new();
    h.insert(header::CONNECTION, "Upgrade".parse().unwrap());
    h.insert(header::UPGRADE, "SPDY/3.1".parse().unwrap());
    assert!(wants_spdy(&h));
    h.insert(header::UPGRADE, "websocket".parse().unwrap());
    assert!(!wants_spdy(&h));
}
