//! The `anbiao` command: demo, serve, migrate, seed, import, export, user administration.

mod cli;
mod commands;
mod demo;
mod ops;
mod reference;
mod registry_cmd;
mod story;
mod supervision;

use clap::Parser;

#[tokio::main]
async fn main() {
    let args = cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let code = match commands::run(args).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误：{e:#}");
            1
        }
    };
    std::process::exit(code);
}
