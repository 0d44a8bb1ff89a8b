//! Wires labsim together: opens the state dir (store, PKI, token), bootstraps the minikube-like
//! objects, and runs the server, the controllers and the kubelet until shutdown.
//!
//! Tests start a whole cluster in-process with [`Cluster::start`] on `127.0.0.1:0`.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::api::App;
use crate::kubelet::Kubelet;
use crate::network::ClusterNet;
use crate::shutdown::{self, Shutdown, Trigger};
use crate::store::Store;
use crate::tls::Pki;

/// An opened state dir, ready to run.
pub struct Cluster {
    pub app: App,
    pub pki: Pki,
}

impl Cluster {
    /// Opens (or initialises) `state_dir`: store, PKI, token.
    pub fn open(state_dir: &Path) -> io::Result<Cluster> {
        std::fs::create_dir_all(state_dir)?;
        let state_dir = std::fs::canonicalize(state_dir)?;
        let store = Arc::new(Store::open(&state_dir.join("store"))?);
        crate::controllers::bootstrap(&store);
        let pki = Pki::load_or_create(&state_dir.join("pki"))?;
        let token = load_or_create_token(&state_dir.join("token"))?;
        let kubelet = Kubelet::new(store.clone(), state_dir.clone());
        // The pod network, or one clear error (no user namespaces) instead of a half cluster.
        let network =
            ClusterNet::create(&state_dir).map_err(|e| io::Error::other(e.to_string()))?;
        kubelet.set_network(network);
        kubelet.mark_restarting();
        let app = App {
            store,
            kubelet,
            token: token.into(),
            state_dir: Arc::new(state_dir),
        };
        Ok(Cluster { app, pki })
    }

    /// Writes `<state>/kubeconfig` for a server on `addr`.
    pub fn write_kubeconfig(&self, addr: SocketAddr) -> io::Result<PathBuf> {
        let path = self.app.state_dir.join("kubeconfig");
        crate::kubeconfig::write(
            &path,
            &format!("https://{addr}"),
            &self.pki.ca_pem,
            &self.app.token,
        )?;
        Ok(path)
    }

    /// Runs server, controllers, kubelet and the cluster DNS and Service proxy until
    /// `shutdown`; the kubelet stops every pod process before this returns.
    pub async fn run(self, listener: TcpListener, shutdown: Shutdown) -> io::Result<()> {
        let app = self.app;
        if let Some(net) = app.kubelet.network() {
            net.serve(app.store.clone(), listener.local_addr()?, shutdown.clone())?;
        }
        let controllers = tokio::spawn(crate::controllers::run(
            app.store.clone(),
            (*app.state_dir).clone(),
            shutdown.clone(),
        ));
        let kubelet = tokio::spawn(app.kubelet.clone().run(shutdown.clone()));
        let served = crate::server::serve(listener, self.pki.server.clone(), app, shutdown).await;
        let _ = controllers.await;
        let _ = kubelet.await;
        served
    }

    /// Starts a whole cluster in this process on a free loopback port (tests, kubelab's
    /// integration tests). Stop it with [`Running::stop`]; dropping it also stops it.
    pub async fn start(state_dir: &Path) -> io::Result<Running> {
        let cluster = Cluster::open(state_dir)?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let kubeconfig = cluster.write_kubeconfig(addr)?;
        let (trigger, shutdown) = shutdown::channel();
        let store = cluster.app.store.clone();
        let network = cluster.app.kubelet.network().cloned();
        let task = tokio::spawn(cluster.run(listener, shutdown));
        Ok(Running {
            addr,
            kubeconfig,
            trigger,
            task: Some(task),
            store,
            network,
        })
    }
}

/// A cluster started by [`Cluster::start`].
pub struct Running {
    pub addr: SocketAddr,
    /// `<state>/kubeconfig` (context `labsim`).
    pub kubeconfig: PathBuf,
    /// Direct access to the objects, for assertions.
    pub store: Arc<Store>,
    /// The cluster network (pod sandboxes, dials into it), for tests.
    pub network: Option<ClusterNet>,
    trigger: Trigger,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl Running {
    /// Signals shutdown and waits until every pod process has stopped.
    pub async fn stop(mut self) -> io::Result<()> {
        self.trigger.fire();
        match self.task.take() {
            Some(t) => t.await.map_err(io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.trigger.fire();
    }
}

/// Starts a whole cluster on a runtime thread of its own, for tests that are not async (kubelab's
/// integration tests): returns its kubeconfig and a function that stops it and waits until every
/// pod process is gone (`Err` if the thread panicked). Only std types cross, so a test-support
/// crate can take it without depending on labsim.
pub fn start_in_thread(
    state_dir: &Path,
) -> (PathBuf, Box<dyn FnOnce() -> Result<(), String> + Send>) {
    let dir = state_dir.to_path_buf();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<PathBuf>();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("labsim".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a tokio runtime");
            rt.block_on(async move {
                let running = Cluster::start(&dir).await.expect("labsim start");
                let _ = ready_tx.send(running.kubeconfig.clone());
                // Wait for the stop (or the test dropping the sender) without blocking a worker.
                let _ = tokio::task::spawn_blocking(move || stop_rx.recv()).await;
                tokio::time::timeout(std::time::Duration::from_secs(60), running.stop())
                    .await
                    .expect("labsim stop within 60 s")
                    .expect("labsim stop");
            });
        })
        .expect("a thread for labsim");
    let kubeconfig = ready_rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("labsim did not start in 60 s");
    let stop = move || {
        let _ = stop_tx.send(());
        thread
            .join()
            .map_err(|_| "the labsim thread panicked".to_string())
    };
    (kubeconfig, Box::new(stop))
}

/// The bearer token: 32 random bytes, hex, kept in `<state>/token` (0600).
fn load_or_create_token(path: &Path) -> io::Result<String> {
    if let Ok(t) = std::fs::read_to_string(path) {
        if t.trim().len() >= 32 {
            return Ok(t.trim().to_string());
        }
    }
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    crate::files::write_private(path, token.as_bytes())?;
    Ok(token)
}
