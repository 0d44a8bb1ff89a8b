//! The whole lab against whatever cluster KUBECONFIG points to (a lab cluster, or one allowed with
//! KUBELAB_ALLOW_CONTEXT): `cargo run --example lab [manifest]`.

use kubelab_core::prelude::*;

fn main() -> Result<(), Error> {
    let manifest = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "manifests/1-sts-mysql.yaml".to_string());

    println!("{}", start_cluster()?);
    println!("{}", nodes()?);
    println!("{}", apply(&manifest)?);
    let w = watch_pods("app=mysql")?;
    println!("{w}");

    println!("{}", delete_pods("app=mysql")?);
    let w = watch_pods("app=mysql")?;
    println!("{w}");

    println!("{}", storage_classes()?);
    println!("{}", statefulsets()?);
    println!("{}", pods()?);
    println!("{}", pvcs()?);
    println!("{}", placement()?);

    let db = mysql("mysql-0")?;
    println!("{}", db.sql("SHOW DATABASES;")?);
    println!(
        "{}",
        db.sql(
            "CREATE DATABASE IF NOT EXISTS testdb; USE testdb;
             CREATE TABLE IF NOT EXISTS users (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255));
             DELETE FROM users;
             INSERT INTO users (name) VALUES ('Alice'), ('Bob');
             SELECT * FROM users;"
        )?
    );

    println!("{}", delete_pod("mysql-0")?);
    println!("{}", wait_ready("mysql-0")?);
    // the session reconnects to the re-created pod by itself and keeps `USE testdb`
    let out = db.sql("SELECT * FROM users;")?;
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
    println!("{}", exec("mysql-0", &["hostname"])?);
    println!("{}", events()?);
    Ok(())
}
