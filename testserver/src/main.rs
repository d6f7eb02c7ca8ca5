//! `zizq-testserver` binary: prints `listening on <url>` and serves until
//! SIGINT/SIGTERM (or stdin EOF with `--exit-on-stdin-eof`).

use std::io::{Read, Write};
use std::process::ExitCode;

use zizq_testserver::{cli, Server};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{}", cli::USAGE);
        return ExitCode::SUCCESS;
    }
    let cli = match cli::parse(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Error: {e}");
            return ExitCode::from(1);
        }
    };
    let code = rt.block_on(async move {
        let server = match Server::bind(&cli.config).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("Error: {e}");
                return ExitCode::from(1);
            }
        };
        let mut out = std::io::stdout();
        let _ = writeln!(out, "listening on {}", server.url());
        let _ = out.flush();
        let control = server.control();
        let c = control.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            c.shutdown();
        });
        if cli.exit_on_stdin_eof {
            let c = control.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 1024];
                let mut stdin = std::io::stdin();
                loop {
                    match stdin.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {}
                    }
                }
                c.shutdown();
            });
        }
        server.run().await;
        // Streams are closed and jobs requeued; skip tearing down a possibly
        // huge in-memory store.
        let _ = std::io::stdout().flush();
        std::process::exit(0)
    });
    rt.shutdown_timeout(std::time::Duration::from_secs(1));
    code
}

async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        _ => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
