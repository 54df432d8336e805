//! `motionkit themes`: every theme and its parameters with constraints.

use motionkit_motiondynamic::{Theme, ThemesQuery};
use motionkit_validation::{ParameterKind, ThemeParameter};
use serde_json::json;

use super::Ctx;
use crate::args::ThemesArgs;
use crate::exit::CliError;
use crate::output::{ThemeView, ThemesOutput};
use crate::term::safe;

/// The default colour the theme declares for a colour parameter.
pub fn default_color<'a>(theme: &'a Theme, id: &str) -> Option<&'a str> {
    theme
        .parameters
        .iter()
        .flatten()
        .find(|p| p.id().eq_ignore_ascii_case(id))
        .and_then(|p| p.parameter.default_color.as_deref())
}

/// One line describing a parameter's type and constraints.
pub fn describe(theme: &Theme, rule: &ThemeParameter) -> String {
    match &rule.kind {
        ParameterKind::Text {
            min_length,
            max_length,
            pattern,
        } => {
            let mut out = "text".to_owned();
            match (min_length, max_length) {
                (Some(min), Some(max)) => out.push_str(&format!(", {min} to {max} characters")),
                (Some(min), None) => out.push_str(&format!(", at least {min} characters")),
                (None, Some(max)) => out.push_str(&format!(", at most {max} characters")),
                (None, None) => {}
            }
            if let Some(pattern) = pattern {
                out.push_str(&format!(", matching {pattern}"));
            }
            out
        }
        ParameterKind::Color => {
            let mut out = "color, RRGGBB without #".to_owned();
            if let Some(default) = default_color(theme, &rule.id) {
                out.push_str(&format!(" (default {default})"));
            }
            out
        }
        ParameterKind::Picture {
            accept,
            min_width,
            min_height,
        } => {
            let mut out = "picture URL".to_owned();
            if !accept.is_empty() {
                out.push_str(&format!(", {}", accept.join("/")));
            }
            match (min_width, min_height) {
                (Some(w), Some(h)) => out.push_str(&format!(", at least {w}x{h} px")),
                (Some(w), None) => out.push_str(&format!(", at least {w} px wide")),
                (None, Some(h)) => out.push_str(&format!(", at least {h} px high")),
                (None, None) => {}
            }
            out
        }
        ParameterKind::Output { layers } => format!("output, one of: {}", layers.join(", ")),
        ParameterKind::Unknown => {
            "a type this version does not know; any text, sent unchecked".to_owned()
        }
    }
}

/// `motionkit themes [ID] [--json] [--json-schema]`.
pub async fn run(ctx: &Ctx, args: ThemesArgs) -> Result<(), CliError> {
    let md = ctx.motiondynamic().await?;
    let themes = match &args.id {
        Some(id) => vec![md.client.theme(id).await?],
        None => md.client.themes(&ThemesQuery::new()).await?,
    };
    if args.json_schema {
        // `requires = "id"` makes this exactly one theme.
        return ctx.print_json(&motionkit_motiondynamic::theme_values_schema(&themes[0]));
    }
    if ctx.json() {
        let list: Vec<_> = themes
            .iter()
            .map(|theme| {
                let (rules, unsupported) = theme.rules();
                ThemeView {
                    theme_id: theme.theme_id.clone(),
                    title: theme.title.clone(),
                    description: theme.description.clone(),
                    parameters: rules
                        .iter()
                        .map(|rule| {
                            let mut value = serde_json::to_value(rule).unwrap_or_default();
                            if let Some(default) = default_color(theme, &rule.id) {
                                value["default"] = json!(default);
                            }
                            value
                        })
                        .collect::<Vec<_>>(),
                    unsupported_parameters: unsupported.iter().map(|u| u.to_string()).collect(),
                }
            })
            .collect();
        return ctx.print_json(&ThemesOutput {
            simulated: ctx.simulated(),
            themes: list,
        });
    }
    for theme in &themes {
        ctx.out(format!(
            "{}\t{}",
            safe(&theme.theme_id),
            safe(theme.title.as_deref().unwrap_or("(untitled)"))
        ));
        if let Some(description) = theme.description.as_deref().filter(|d| !d.is_empty()) {
            ctx.out(format!("  {}", safe(description)));
        }
        let (rules, _) = theme.rules();
        for rule in &rules {
            ctx.out(format!(
                "  {:<20} {}",
                safe(&rule.layer),
                safe(&describe(theme, rule))
            ));
        }
    }
    Ok(())
}
