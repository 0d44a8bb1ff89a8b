//! The learner checks and the pictures against an in-process labsim (real mariadbd): each step's
//! ❌ with its hint before the learner did the step, ✅ after; topology and timeline drawn from
//! the live cluster (well-formed SVG holding every pod, text naming every pod).

mod common;

use kubelab_core::*;
use labsim::cluster::start_in_thread;
use testkit::Sim;

use common::check::failure;

/// Checks that `svg` is well-formed XML: tags balance, attributes are quoted, `<` and `&` in text
/// are escaped (there is no XML parser among the dependencies, and this is all a browser needs).
fn well_formed(svg: &str) -> Result<(), String> {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find('<') {
        check_text(&rest[..i])?;
        let end = rest[i..]
            .find('>')
            .ok_or_else(|| format!("unclosed tag at {:?}", &rest[i..rest.len().min(i + 40)]))?;
        let tag = &rest[i + 1..i + end];
        rest = &rest[i + end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            match stack.pop() {
                Some(open) if open == name.trim() => {}
                other => return Err(format!("</{name}> closes {other:?}")),
            }
            continue;
        }
        let self_closing = tag.ends_with('/');
        let body = tag.trim_end_matches('/');
        let name: String = body.chars().take_while(|c| !c.is_whitespace()).collect();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(format!("bad tag name in <{tag}>"));
        }
        check_attrs(&body[name.len()..])?;
        if !self_closing {
            stack.push(name);
        }
    }
    check_text(rest)?;
    if stack.is_empty() {
        Ok(())
    } else {
        Err(format!("unclosed elements {stack:?}"))
    }
}

fn check_text(t: &str) -> Result<(), String> {
    for (i, _) in t.match_indices('&') {
        let ent = &t[i..];
        if !["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"]
            .iter()
            .any(|e| ent.starts_with(e))
        {
            return Err(format!("unescaped & in {t:?}"));
        }
    }
    Ok(())
}

fn check_attrs(mut a: &str) -> Result<(), String> {
    loop {
        a = a.trim_start();
        if a.is_empty() {
            return Ok(());
        }
        let eq = a
            .find('=')
            .ok_or_else(|| format!("attribute without value: {a:?}"))?;
        if !a[eq + 1..].starts_with('"') {
            return Err(format!("unquoted attribute: {a:?}"));
        }
        let close = a[eq + 2..]
            .find('"')
            .ok_or_else(|| format!("unterminated attribute: {a:?}"))?;
        check_text(&a[eq + 2..eq + 2 + close])?;
        a = &a[eq + 2 + close + 1..];
    }
}

#[test]
fn the_svg_checker_rejects_what_a_browser_would() {
    assert!(well_formed("<svg a=\"1\"><text>a &amp; b</text><rect/></svg>").is_ok());
    assert!(well_formed("<svg><text>a & b</text></svg>").is_err());
    assert!(well_formed("<svg><text>a</svg>").is_err());
    assert!(well_formed("<svg a=1></svg>").is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_fail_with_hints_then_pass_and_pictures_show_every_pod() {
    let _sim = tokio::task::block_in_place(|| Sim::in_process(start_in_thread).exported());

    // unknown step: Korean error listing the valid ones
    let msg = failure(step!(check("deplyo")));
    assert!(
        msg.contains("알 수 없는 확인 단계 'deplyo'") && msg.contains("\"survive\""),
        "{msg}"
    );

    let ok = step!(check("cluster")).unwrap();
    assert!(
        ok.to_string()
            .contains("✅ 노드가 3개입니다 (minikube, minikube-m02, minikube-m03)"),
        "{ok}"
    );

    // before apply: the StatefulSet is missing, and the hint names the apply cell
    let msg = failure(step!(check("deploy")));
    assert!(
        msg.contains("❌ StatefulSet mysql이 없습니다 → apply(\"../manifests/1-sts-mysql.yaml\")? 셀을 실행하세요"),
        "{msg}"
    );

    step!(apply("../../manifests/1-sts-mysql.yaml")).unwrap();
    step!(watch_pods("app=mysql", kubelab_core::wait::DEFAULT_TIMEOUT)).unwrap();
    let rep = step!(check("deploy")).unwrap();
    let text = rep.to_string();
    for want in [
        "✅ StatefulSet mysql READY 3/3",
        "✅ Service mysql은 헤드리스입니다 (CLUSTER-IP None)",
        "✅ mysql-2 파드가 Ready입니다",
        "✅ PVC data-mysql-2: Bound",
        "확인 'deploy' 통과",
    ] {
        assert!(text.contains(want), "{want} in\n{text}");
    }
    assert!(rep.to_html().contains("✅"));
    let order = step!(check("order")).unwrap().to_string();
    assert!(
        order.contains("✅ mysql-2 파드는 mysql-1 파드가 Ready가 된 뒤에 만들어졌습니다"),
        "{order}"
    );

    // the timeline of that creation: a bar per pod, the gate from mysql-0's Ready to mysql-1
    let t = step!(timeline("app=mysql")).unwrap();
    assert_eq!(t.pods, ["mysql-0", "mysql-1", "mysql-2"]);
    well_formed(&t.svg).unwrap_or_else(|e| panic!("{e}\n{}", t.svg));
    for p in &t.pods {
        assert!(
            t.svg.contains(&format!(">{p}</text>")) && t.text.contains(p.as_str()),
            "{t}"
        );
    }
    assert!(
        t.text
            .contains("mysql-1 파드는 mysql-0 파드가 Ready가 된 뒤"),
        "{t}"
    );
    let msg = step!(timeline("app=nothing")).unwrap_err().to_string();
    assert!(msg.contains("'app=nothing'에 맞는 파드가 없어"), "{msg}");

    // data: ❌ before the table exists, ✅ after the lab's SQL
    let msg = failure(step!(check("data")));
    assert!(
        msg.contains("❌ mysql-0에서 testdb.users를 읽지 못했습니다: ERROR 1"),
        "{msg}"
    );
    assert!(msg.contains("11단계의 db.sql("), "{msg}");
    let db = step!(mysql("mysql-0")).unwrap();
    db.sql("CREATE DATABASE testdb; USE testdb; CREATE TABLE users (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255)); INSERT INTO users (name) VALUES ('Alice'), ('Bob');")
        .await
        .unwrap();
    let data = step!(check("data")).unwrap().to_string();
    assert!(
        data.contains("✅ mysql-0의 testdb.users에 'Alice' 행이 있습니다"),
        "{data}"
    );
    assert!(
        !data.to_lowercase().contains("password\":"),
        "no password in {data}"
    );

    let dns = step!(check("dns")).unwrap().to_string();
    assert!(
        dns.contains("mysql-0.mysql이") && dns.contains("✅ 그 IP는 mysql-0의 파드 IP"),
        "{dns}"
    );

    // survive: ❌ while mysql-0 is the pod the checks saw, ✅ once it was re-created
    let msg = failure(step!(check("survive")));
    assert!(
        msg.contains("UID가 그대로입니다") && msg.contains("delete_pod(\"mysql-0\")?"),
        "{msg}"
    );
    step!(delete_pod("mysql-0")).unwrap();
    step!(wait_ready("mysql-0", kubelab_core::wait::DEFAULT_TIMEOUT)).unwrap();
    let survive = step!(check("survive")).unwrap().to_string();
    assert!(
        survive.contains("✅ mysql-0 파드가 다시 만들어졌습니다 (UID"),
        "{survive}"
    );
    assert!(
        survive.contains("✅ mysql-0의 testdb.users에 'Bob' 행이 있습니다"),
        "{survive}"
    );

    // topology: every node and pod, each pod's claim, the data's disk
    let topo = step!(topology()).unwrap();
    well_formed(&topo.svg).unwrap_or_else(|e| panic!("{e}\n{}", topo.svg));
    for p in ["mysql-0", "mysql-1", "mysql-2"] {
        assert!(topo.svg.contains(&format!("파드 {p}")), "{p} in svg");
        assert!(
            topo.text.contains(&format!("파드 {p} [1/1 Running]")),
            "{topo}"
        );
        assert!(
            topo.text.contains(&format!("PVC data-{p} [Bound] ─▶ PV ")),
            "{topo}"
        );
    }
    for n in [
        "노드 minikube (",
        "노드 minikube-m02 (",
        "노드 minikube-m03 (",
    ] {
        assert!(topo.text.contains(n), "{n} in {topo}");
    }
    assert!(
        topo.text.contains("데이터: 이 컴퓨터의 디스크 (labsim)") && topo.text.contains("labsim:"),
        "{topo}"
    );

    // scale down to 2: deploy now names the missing pod; scale passes and shows the kept PVC
    step!(scale("mysql", 2)).unwrap();
    step!(watch_pods("app=mysql", kubelab_core::wait::DEFAULT_TIMEOUT)).unwrap();
    let msg = failure(step!(check("deploy")));
    assert!(msg.contains("❌ mysql-2 파드가 아직 없습니다"), "{msg}");
    assert!(
        msg.contains("확인 'deploy' 실패: StatefulSet mysql READY 2/2 (3/3이어야 합니다)"),
        "{msg}"
    );
    let sc = step!(check("scale")).unwrap().to_string();
    assert!(sc.contains("✅ 파드 2개: mysql-0, mysql-1"), "{sc}");
    assert!(
        sc.contains("✅ 축소해도 남아 있는 PVC: data-mysql-2"),
        "{sc}"
    );
    let topo = step!(topology()).unwrap();
    assert!(topo.text.contains("쓰는 파드가 없는 PVC"), "{topo}");
    assert!(topo.svg.contains("PVC data-mysql-2"), "{topo}");
}
