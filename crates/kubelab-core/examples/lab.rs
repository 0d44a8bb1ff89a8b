//! The whole lab against whatever cluster KUBECONFIG points to (a lab cluster, or one allowed with
//! KUBELAB_ALLOW_CONTEXT): `cargo run --example lab [manifest]`.

#[path = "../tests/common/mod.rs"]
mod common;

use kubelab_core::*;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let manifest = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "manifests/1-sts-mysql.yaml".to_string());

    println!("{}", kubelab_core::cluster::start_cluster().await?);
    println!("{}", step!(nodes())?);
    println!("{}", step!(apply(&manifest))?);
    let w = step!(watch_pods("app=mysql", kubelab_core::wait::DEFAULT_TIMEOUT))?;
    println!("{w}");

    println!("{}", step!(delete_pods("app=mysql"))?);
    let w = step!(watch_pods("app=mysql", kubelab_core::wait::DEFAULT_TIMEOUT))?;
    println!("{w}");

    println!("{}", step!(storage_classes())?);
    println!("{}", step!(statefulsets())?);
    println!("{}", step!(pods())?);
    println!("{}", step!(pvcs())?);
    println!("{}", step!(placement())?);

    let db = step!(mysql("mysql-0"))?;
    println!("{}", db.sql("SHOW DATABASES;").await?);
    println!(
        "{}",
        db.sql(
            "CREATE DATABASE IF NOT EXISTS testdb; USE testdb;
             CREATE TABLE IF NOT EXISTS users (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255));
             DELETE FROM users;
             INSERT INTO users (name) VALUES ('Alice'), ('Bob');
             SELECT * FROM users;"
        )
        .await?
    );

    println!("{}", step!(delete_pod("mysql-0"))?);
    println!(
        "{}",
        step!(wait_ready("mysql-0", kubelab_core::wait::DEFAULT_TIMEOUT))?
    );
    // the session reconnects to the re-created pod by itself and keeps `USE testdb`
    let out = db.sql("SELECT * FROM users;").await?;
    println!("{out}");
    let names = out.last().column("name");
    let kept = names == vec![Some("Alice".to_string()), Some("Bob".to_string())];
    println!(
        "{}",
        if kept {
            "데이터가 유지되었습니다 (Alice, Bob)."
        } else {
            "데이터가 보이지 않습니다: placement() 로 파드와 볼륨의 노드를 확인하세요 (hostpath 함정)."
        }
    );
    println!("{}", step!(exec("mysql-0", &["hostname"]))?);
    println!("{}", step!(events())?);
    Ok(())
}
