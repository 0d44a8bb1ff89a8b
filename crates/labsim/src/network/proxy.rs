//! ClusterIP Services, kube-proxy's job done in user space: for every TCP port of a Service
//! with a ClusterIP and at least one ready endpoint, a listener on `ClusterIP:port` in the
//! cluster namespace; each accepted connection goes to one ready endpoint chosen at random (as
//! kube-proxy's iptables mode, `--probability` rules), dialled from the node network, bytes
//! copied both ways. Listeners follow the Services and Endpoints: a Service without ready
//! endpoints has no listener, so a connection is refused (kube-proxy's REJECT rule for a
//! Service with no endpoints, kubernetes/kubernetes `pkg/proxy/iptables/proxier.go`).

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::task::JoinHandle;

use super::dns_server::Zone;
use super::records::Service;
use super::{ClusterNet, DNS_IP};
use crate::shutdown::Shutdown;

/// How long a dial to an endpoint may take.
const DIAL_TIMEOUT: Duration = Duration::from_secs(5);

/// The ready endpoints (pod IP, target port) behind each `ClusterIP:port`.
pub fn backends(services: &[Service]) -> HashMap<SocketAddr, Vec<SocketAddr>> {
    let mut out = HashMap::new();
    for s in services {
        let Some(ip) = s
            .cluster_ip
            .as_deref()
            .and_then(|i| i.parse::<Ipv4Addr>().ok())
        else {
            continue;
        };
        for (pname, port) in &s.ports {
            let eps: Vec<SocketAddr> = s
                .endpoints
                .iter()
                .filter_map(|e| {
                    let ip = e.ip.parse::<Ipv4Addr>().ok()?;
                    Some(SocketAddr::from((ip, s.target_port(e, pname)?)))
                })
                .collect();
            if !eps.is_empty() {
                out.insert(SocketAddr::from((ip, *port)), eps);
            }
        }
    }
    out
}

/// One ClusterIP:port being served.
struct Listener {
    endpoints: Arc<RwLock<Vec<SocketAddr>>>,
    task: JoinHandle<()>,
}

/// Serves the Services of `zone` until `shutdown`.
pub async fn run(net: ClusterNet, mut zone: Zone, shutdown: Shutdown) {
    let mut live: HashMap<SocketAddr, Listener> = HashMap::new();
    loop {
        let wanted = backends(&zone.borrow_and_update());
        live.retain(|addr, l| {
            let keep = wanted.contains_key(addr) && !l.task.is_finished();
            if !keep {
                l.task.abort();
            }
            keep
        });
        for (addr, eps) in wanted {
            if let Some(l) = live.get(&addr) {
                *l.endpoints.write().unwrap_or_else(|p| p.into_inner()) = eps;
                continue;
            }
            // The DNS server holds 10.96.0.10:53; nothing else may take a ClusterIP outside
            // the local range (binding fails, logged once per change).
            if addr.ip() == std::net::IpAddr::V4(DNS_IP) && addr.port() == 53 {
                continue;
            }
            match net.listen_tcp(addr) {
                Ok(listener) => {
                    let endpoints = Arc::new(RwLock::new(eps));
                    let task = tokio::spawn(accept_loop(net.clone(), listener, endpoints.clone()));
                    live.insert(addr, Listener { endpoints, task });
                }
                Err(e) => tracing::warn!(%addr, error = %e, "cannot serve a ClusterIP"),
            }
        }
        tokio::select! {
            _ = shutdown.wait() => break,
            r = zone.changed() => if r.is_err() { break },
        }
    }
    for l in live.values() {
        l.task.abort();
    }
}

/// The API server seen from the node network: every connection to `listener` (the control
/// plane's [`APISERVER`](super::APISERVER) address in the cluster namespace) is relayed to
/// labsim's own API server on the host's loopback `api`, bytes copied both ways (TLS and the
/// token check stay end to end).
pub async fn relay_to_host(listener: tokio::net::TcpListener, api: SocketAddr, shutdown: Shutdown) {
    let accept = async {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            tokio::spawn(async move {
                let dial = tokio::net::TcpStream::connect(api);
                if let Ok(Ok(upstream)) = tokio::time::timeout(DIAL_TIMEOUT, dial).await {
                    splice(client, upstream).await;
                }
            });
        }
    };
    tokio::select! {
        _ = shutdown.wait() => {}
        _ = accept => {}
    }
}

async fn accept_loop(
    net: ClusterNet,
    listener: tokio::net::TcpListener,
    endpoints: Arc<RwLock<Vec<SocketAddr>>>,
) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let target = {
            use rand::seq::SliceRandom;
            let eps = endpoints.read().unwrap_or_else(|p| p.into_inner());
            eps.choose(&mut rand::thread_rng()).copied()
        };
        let Some(target) = target else { continue };
        let net = net.clone();
        tokio::spawn(async move {
            // A refused or unreachable endpoint ends the client's connection, as a packet
            // DNATed to a dead pod does.
            if let Ok(upstream) = net.dial(target, DIAL_TIMEOUT).await {
                splice(client, upstream).await;
            }
        });
    }
}

/// Copies bytes both ways between a client and the connection made for it, until either ends.
async fn splice(mut client: tokio::net::TcpStream, mut upstream: tokio::net::TcpStream) {
    let _ = client.set_nodelay(true);
    let _ = upstream.set_nodelay(true);
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
}
