//! Scale-out: two stateless replicas behind a real reverse proxy (nginx from the
//! distribution, round robin, no affinity). The official Python SDK client talks to the
//! proxy's one URL; the proxy's log shows its requests went to both replicas.

use std::process::Stdio;
use std::time::Duration;

use super::{Remote, env, python_client, redmine};

fn nginx() -> Option<&'static str> {
    ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
}

#[tokio::test]
async fn two_stateless_replicas_behind_nginx_serve_one_client() {
    let Some(nginx) = nginx() else {
        let message = "SKIPPED replicas test: nginx not found (apt-get install nginx-light)";
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{message}; CI=true requires it");
        eprintln!("\n*** {message} ***\n");
        return;
    };
    let fake = redmine().await;
    let one = Remote::start(&env(&fake.uri()), &["--http-stateless"]).await;
    let two = Remote::start(&env(&fake.uri()), &["--http-stateless"]).await;
    let upstream = |r: &Remote| r.base.trim_start_matches("http://").to_owned();
    let (a, b) = (upstream(&one), upstream(&two));

    let dir = std::env::temp_dir().join(format!("tracker-mcp-nginx-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
        probe.local_addr().expect("addr").port()
    };
    let d = dir.display();
    // One process, no master: killing it stops nginx (a killed master leaves its workers
    // running, still listening, after the test).
    let conf = format!(
        "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
         events {{ worker_connections 256; }}\n\
         http {{\n  log_format up '$request_method $uri $status $upstream_addr';\n  access_log {d}/access.log up;\n\
           client_body_temp_path {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fcgi;\n\
           uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;\n\
           upstream replicas {{ server {a}; server {b}; }}\n\
           server {{\n    listen 127.0.0.1:{port};\n    location / {{\n      proxy_pass http://replicas;\n\
               proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n      proxy_set_header Host $http_host;\n\
               proxy_buffering off;\n    }}\n  }}\n}}\n"
    );
    std::fs::write(dir.join("nginx.conf"), conf).expect("conf");
    let mut proxy = tokio::process::Command::new(nginx)
        .args(["-p", &dir.display().to_string(), "-c", &dir.join("nginx.conf").display().to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start nginx");
    let health = format!("http://127.0.0.1:{port}/healthz");
    let mut up = false;
    for _ in 0..100 {
        if one.http.get(&health).send().await.is_ok_and(|r| r.status() == 200) {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        up,
        "nginx did not come up: {}",
        std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
    );
    // Restart the log: only the client's requests count.
    std::fs::write(dir.join("access.log"), "").expect("truncate");

    let url = format!("http://127.0.0.1:{port}/mcp");
    let mut outputs = Vec::new();
    // Two runs of the client: each is one initialize plus several requests, all POSTs that
    // nginx spreads over the replicas.
    for _ in 0..2 {
        let Some(stdout) = python_client(&url).await else { return };
        outputs.push(stdout);
    }
    for stdout in &outputs {
        assert!(stdout.contains("svc-mcp") && stdout.contains("redmine_whoami"), "{stdout}");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = std::fs::read_to_string(dir.join("access.log")).expect("access log");
    let served_by =
        |addr: &str| log.lines().filter(|l| l.starts_with("POST /mcp 200") && l.ends_with(addr)).count();
    assert!(served_by(&a) > 0 && served_by(&b) > 0, "both replicas must answer the client's calls:\n{log}");
    let _ = proxy.start_kill();
    let _ = proxy.wait().await;
    std::fs::remove_dir_all(&dir).ok();
}
