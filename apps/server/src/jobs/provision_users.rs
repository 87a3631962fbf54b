//! `soiree provision-users FILE`: accounts from a CSV or JSON file, idempotently.
//!
//! New accounts get a generated password, written to a file only the operator can read (mode
//! 0600, never overwritten) and never printed: a terminal's scrollback and a CI log are read by
//! more people than the operator, and there is no mail to send a set-password link with. The
//! report says where the file is; the operator hands each password over and the person changes
//! it.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use rand_core::{OsRng, RngCore as _};
use soiree_tiers::ChangedBy;

use super::{Context, progress};
use crate::cli::ProvisionArgs;
use crate::provision::{self, MemberRow, Provisioned};

/// The columns a provisioning file may have (`username` is required).
const COLUMNS: [&str; 6] = [
    "username",
    "email",
    "tier",
    "display_name",
    "language",
    "timezone",
];

/// One row of the file: where it is (a line of a CSV, an entry of a JSON array), and it read.
struct Row {
    place: String,
    row: Result<MemberRow, String>,
}

/// What applying a file did.
#[derive(Debug, Default)]
pub(crate) struct Report {
    /// One line per row, in order: `line 2: created ada (premium)`.
    pub(crate) lines: Vec<String>,
    pub(crate) created: usize,
    pub(crate) present: usize,
    pub(crate) refused: usize,
    /// Where the new accounts' passwords were written, if any were made.
    pub(crate) passwords_file: Option<PathBuf>,
}

impl Report {
    /// `2 created, 0 already present, 3 refused.`
    pub(crate) fn summary(&self) -> String {
        format!(
            "{} created, {} already present, {} refused.",
            self.created, self.present, self.refused
        )
    }
}

/// `soiree provision-users`.
pub(crate) async fn provision_file(args: &ProvisionArgs) -> anyhow::Result<()> {
    let context = Context::open(&args.job).await?;
    let outcome = apply(
        &context,
        &args.file,
        args.operator,
        args.passwords_file.as_deref(),
        &args.job.storage.data_dir,
    )
    .await;
    context.database.close().await?;
    print(&args.file, &outcome?)
}

/// Prints a file's report; fails when a row was refused.
pub(crate) fn print(file: &Path, report: &Report) -> anyhow::Result<()> {
    for line in &report.lines {
        println!("{line}");
    }
    println!("{}", report.summary());
    if let Some(path) = &report.passwords_file {
        println!(
            "The new accounts' passwords are in {} (readable by you only): hand each to its person, who should change it, then delete the file.",
            path.display()
        );
    }
    if report.refused > 0 {
        bail!(
            "{} row(s) of {} were refused; fix them and run the same command again (rows already applied stay as they are)",
            report.refused,
            file.display()
        );
    }
    Ok(())
}

/// Applies one file, every row; a refused row does not stop the others.
pub(crate) async fn apply(
    context: &Context,
    file: &Path,
    operator: bool,
    passwords_file: Option<&Path>,
    data_dir: &Path,
) -> anyhow::Result<Report> {
    let rows = read_rows(file)?;
    let bar = progress(rows.len() as u64, "provisioning");
    let mut report = Report::default();
    let mut passwords = String::new();

    for Row { place, row } in rows {
        bar.inc(1);
        let outcome = match row {
            Ok(row) => provision_row(context, &row, operator, &mut passwords).await?,
            Err(reason) => Err(reason),
        };
        match outcome {
            Ok(RowOutcome::Created(line)) => {
                report.created += 1;
                report.lines.push(format!("{place}: created {line}"));
            }
            Ok(RowOutcome::Present(line)) => {
                report.present += 1;
                report
                    .lines
                    .push(format!("{place}: already present {line}"));
            }
            Err(reason) => {
                report.refused += 1;
                report.lines.push(format!("{place}: refused: {reason}"));
            }
        }
    }
    bar.finish_and_clear();
    if !passwords.is_empty() {
        let path = match passwords_file {
            Some(path) => {
                write_private(path, &passwords)?;
                path.to_path_buf()
            }
            None => write_beside(data_dir, &passwords)?,
        };
        report.passwords_file = Some(path);
    }
    Ok(report)
}

enum RowOutcome {
    Created(String),
    Present(String),
}

async fn provision_row(
    context: &Context,
    row: &MemberRow,
    operator: bool,
    passwords: &mut String,
) -> anyhow::Result<Result<RowOutcome, String>> {
    let member = match provision::parse(row) {
        Ok(member) => member,
        Err(refusal) => return Ok(Err(format!("{}: {}", refusal.code, refusal.reason))),
    };
    let secret = generated_password();
    let password = match provision::password(secret.clone(), &member.username) {
        Ok(password) => password,
        Err(refusal) => return Ok(Err(format!("{}: {}", refusal.code, refusal.reason))),
    };
    let tier = member.tier;
    let provisioned = provision::provision(
        &context.users,
        &context.tiers,
        member,
        password,
        ChangedBy::CommandLine,
    )
    .await?;
    let (user, outcome) = match provisioned {
        Ok(Provisioned::Created(user)) => {
            let _ = writeln!(passwords, "{}\t{secret}", user.username.as_str());
            let line = format!("{} ({tier})", user.username.as_str());
            (user, RowOutcome::Created(line))
        }
        Ok(Provisioned::AlreadyPresent(user)) => {
            let line = user.username.as_str().to_owned();
            (user, RowOutcome::Present(line))
        }
        Err(refusal) => return Ok(Err(format!("{}: {}", refusal.code, refusal.reason))),
    };
    if operator && !user.operator {
        context.users.set_operator(user.id, true).await?;
    }
    Ok(Ok(outcome))
}

/// 20 characters from an alphabet without look-alikes (about 115 bits).
fn generated_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0_u8; 20];
    OsRng.fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|byte| char::from(ALPHABET[usize::from(*byte) % ALPHABET.len()]))
        .collect()
}

/// Writes the passwords to a new file in the data directory, named by the time (with a number
/// after it when a run in the same second took the name).
fn write_beside(data_dir: &Path, contents: &str) -> anyhow::Result<PathBuf> {
    let stem = format!(
        "provisioned-passwords-{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S")
    );
    for attempt in 0..100 {
        let name = if attempt == 0 {
            format!("{stem}.tsv")
        } else {
            format!("{stem}-{attempt}.tsv")
        };
        let path = data_dir.join(name);
        match write_private(&path, contents) {
            Ok(()) => return Ok(path),
            Err(error)
                if error
                    .downcast_ref::<std::io::Error>()
                    .is_some_and(|error| error.kind() == std::io::ErrorKind::AlreadyExists) =>
            {
                continue;
            }
            Err(error) => return Err(error),
        }
    }
    bail!(
        "could not find a free name for the passwords file in {}",
        data_dir.display()
    )
}

/// Writes a new file only its owner can read; an existing file is never replaced.
fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).with_context(|| {
        format!(
            "creating {} for the new passwords (it must not exist yet)",
            path.display()
        )
    })?;
    file.write_all(contents.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

/// Reads every row of a `.csv` or `.json` file; a row that cannot be read is kept as its
/// reason, so that the others still apply.
fn read_rows(file: &Path) -> anyhow::Result<Vec<Row>> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("reading the provisioning file {}", file.display()))?;
    match file.extension().and_then(|extension| extension.to_str()) {
        Some("csv") => csv_rows(&text),
        Some("json") => json_rows(&text),
        _ => bail!(
            "{}: a provisioning file is .csv (with a header row) or .json (an array of objects)",
            file.display()
        ),
    }
}

fn csv_rows(text: &str) -> anyhow::Result<Vec<Row>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = reader.headers().context("reading the header row")?.clone();
    if let Some(unknown) = headers.iter().find(|name| !COLUMNS.contains(name)) {
        bail!(
            "line 1: unknown column `{unknown}`; the columns are {}",
            COLUMNS.join(", ")
        );
    }
    if !headers.iter().any(|name| name == "username") {
        bail!("line 1: the header row has no `username` column");
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let (place, row) = match record {
            Ok(record) => {
                let line = record.position().map_or(0, csv::Position::line);
                let row = record
                    .deserialize::<MemberRow>(Some(&headers))
                    .map_err(|error| format!("invalid_row: {error}"));
                (format!("line {line}"), row)
            }
            Err(error) => {
                let line = error.position().map_or(0, csv::Position::line);
                (format!("line {line}"), Err(format!("invalid_row: {error}")))
            }
        };
        rows.push(Row { place, row });
    }
    Ok(rows)
}

fn json_rows(text: &str) -> anyhow::Result<Vec<Row>> {
    let entries: Vec<serde_json::Value> =
        serde_json::from_str(text).context("a JSON provisioning file is an array of objects")?;
    Ok(entries
        .into_iter()
        .enumerate()
        .map(|(index, entry)| Row {
            place: format!("entry {}", index + 1),
            row: serde_json::from_value::<MemberRow>(entry).map_err(|error| {
                let mut reason = String::from("invalid_row: ");
                let _ = write!(reason, "{error}");
                reason
            }),
        })
        .collect())
}
