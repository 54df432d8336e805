//! `--proxy`: requests go through the proxy the user names, or the one the
//! environment names with `--proxy system`, and never through an
//! environment proxy the user did not ask for. A forwarding proxy on
//! 127.0.0.1 counts the connections it carries.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use support::*;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// A forward HTTP proxy: reads each connection's first request head
/// (`GET http://host:port/path HTTP/1.1`), connects to that host and
/// relays the bytes both ways (servers accept the absolute form).
struct ForwardProxy {
    url: String,
    carried: Arc<AtomicUsize>,
}

impl ForwardProxy {
    async fn start() -> ForwardProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let carried = Arc::new(AtomicUsize::new(0));
        let count = carried.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let count = count.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") && head.len() < 64 * 1024 {
                        if client.read(&mut byte).await.unwrap_or(0) == 0 {
                            return;
                        }
                        head.push(byte[0]);
                    }
                    let line = String::from_utf8_lossy(&head)
                        .lines()
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    let Some(target) = line
                        .split_whitespace()
                        .nth(1)
                        .and_then(|uri| uri.strip_prefix("http://"))
                        .and_then(|rest| rest.split('/').next())
                        .map(str::to_owned)
                    else {
                        return;
                    };
                    let Ok(mut server) = tokio::net::TcpStream::connect(&target).await else {
                        return;
                    };
                    count.fetch_add(1, Ordering::SeqCst);
                    if server.write_all(&head).await.is_ok() {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
        ForwardProxy { url, carried }
    }

    fn carried(&self) -> usize {
        self.carried.load(Ordering::SeqCst)
    }
}

async fn credits(
    home: &std::path::Path,
    sandbox: &motionkit_sandbox::Sandbox,
    extra: &[(&str, &str)],
    args: &[&str],
) -> std::process::Output {
    let mut cmd = motionkit(home);
    cmd.envs(deepmotion_env(sandbox)).args(args).arg("credits");
    for (name, value) in extra {
        cmd.env(name, value);
    }
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_go_through_the_proxy_asked_for_and_no_other() {
    let sandbox = sandbox(|_| {}).await;
    let proxy = ForwardProxy::start().await;
    let home = tempfile::tempdir().unwrap();

    // An environment proxy alone is not used.
    let env_proxy = [
        ("HTTP_PROXY", proxy.url.as_str()),
        ("http_proxy", proxy.url.as_str()),
    ];
    let direct = credits(home.path(), &sandbox, &env_proxy, &[]).await;
    assert_eq!(code(&direct), 0, "{}", text(&direct.stderr));
    assert_eq!(
        proxy.carried(),
        0,
        "the environment's proxy was not asked for"
    );

    // `--proxy URL`.
    let named = credits(home.path(), &sandbox, &[], &["--proxy", &proxy.url]).await;
    assert_eq!(code(&named), 0, "{}", text(&named.stderr));
    let after_named = proxy.carried();
    assert!(after_named > 0, "the named proxy carried the requests");
    assert_eq!(text(&named.stdout).trim(), text(&direct.stdout).trim());

    // `--proxy system`: the environment's proxy, now asked for.
    let system = credits(home.path(), &sandbox, &env_proxy, &["--proxy", "system"]).await;
    assert_eq!(code(&system), 0, "{}", text(&system.stderr));
    assert!(
        proxy.carried() > after_named,
        "the environment's proxy carried them"
    );

    // A proxy URL that is not one is refused, naming it without its password.
    let bad = credits(
        home.path(),
        &sandbox,
        &[],
        &["--proxy", "ftp://me:hunter2@proxy.example"],
    )
    .await;
    assert_ne!(code(&bad), 0);
    let message = text(&bad.stderr);
    assert!(
        message.contains("proxy") && !message.contains("hunter2"),
        "{message}"
    );
    sandbox.shutdown().await;
}
