//! The themes served: the public demo theme of the spec's examples, and
//! two more.

use motionkit_models::motiondynamic::Theme;

const DEMO_THEME: &str = include_str!("../../../specs/examples/motiondynamic/demo_theme.json");

/// Themes served besides the public demo theme.
const EXTRA_THEMES: &str = r#"[
  {
    "theme_id": "5a3e6f10-7c1b-4d2e-9f3a-0b1c2d3e4f50",
    "title": "Social teaser",
    "description": "A short vertical or square teaser with a headline",
    "parameters": [
      {"theme_id": "5a3e6f10-7c1b-4d2e-9f3a-0b1c2d3e4f50", "type": "text",
       "parameter": {"parameterType_id": "0f5e1c7a-2b3d-4e5f-8a9b-1c2d3e4f5a6b", "theme_id": "5a3e6f10-7c1b-4d2e-9f3a-0b1c2d3e4f50",
                     "createdAt": "2019-02-11T10:00:00+00:00", "title": "Headline", "layer": "headline",
                     "minLength": 1, "maxLength": 30, "pattern": null}},
      {"theme_id": "5a3e6f10-7c1b-4d2e-9f3a-0b1c2d3e4f50", "type": "color",
       "parameter": {"parameterType_id": "1a6f2d8b-3c4e-4f60-9b0c-2d3e4f5a6b7c", "theme_id": "5a3e6f10-7c1b-4d2e-9f3a-0b1c2d3e4f50",
                     "createdAt": "2019-02-11T10:00:00+00:00", "title": "Accent colour", "layer": "accent_color", "defaultColor": "FFCC00"}},
      {"theme_id": "5a3e6f10-7c1b-4d2e-9f3a-0b1c2d3e4f50", "type": "output",
       "parameter": {"parameterType_id": "2b7a3e9c-4d5f-4071-8c1d-3e4f5a6b7c8d", "theme_id": "5a3e6f10-7c1b-4d2e-9f3a-0b1c2d3e4f50",
                     "createdAt": "2019-02-11T10:00:00+00:00", "title": "Format", "layers": ["SQUARE", "STORY"]}}
    ]
  },
  {
    "theme_id": "9c1d2e3f-4a5b-4c6d-8e7f-a0b1c2d3e4f5",
    "title": "Photo slideshow",
    "description": "A photo with a caption",
    "parameters": [
      {"theme_id": "9c1d2e3f-4a5b-4c6d-8e7f-a0b1c2d3e4f5", "type": "picture",
       "parameter": {"parameterType_id": "3c8b4fa0-5e60-4182-9d2e-4f5a6b7c8d9e", "theme_id": "9c1d2e3f-4a5b-4c6d-8e7f-a0b1c2d3e4f5",
                     "createdAt": "2019-03-01T08:30:00+00:00", "title": "Photo", "layer": "photo_01",
                     "fileToReplace": "photo_01.jpg", "fitToCompWidth": false, "minWidth": 800, "minHeight": 600, "accept": ["png", "jpg"]}},
      {"theme_id": "9c1d2e3f-4a5b-4c6d-8e7f-a0b1c2d3e4f5", "type": "text",
       "parameter": {"parameterType_id": "4d9c50b1-6f71-4293-8e3f-5a6b7c8d9eaf", "theme_id": "9c1d2e3f-4a5b-4c6d-8e7f-a0b1c2d3e4f5",
                     "createdAt": "2019-03-01T08:30:00+00:00", "title": "Caption", "layer": "caption",
                     "minLength": 0, "maxLength": 40, "pattern": null}},
      {"theme_id": "9c1d2e3f-4a5b-4c6d-8e7f-a0b1c2d3e4f5", "type": "output",
       "parameter": {"parameterType_id": "5ea061c2-7082-43a4-9f40-6b7c8d9eafb0", "theme_id": "9c1d2e3f-4a5b-4c6d-8e7f-a0b1c2d3e4f5",
                     "createdAt": "2019-03-01T08:30:00+00:00", "title": "Variante", "layers": ["MASTER"]}}
    ]
  }
]"#;

/// Every served theme, the demo theme first.
pub(super) fn served() -> Vec<Theme> {
    let mut themes: Vec<Theme> = Vec::new();
    if let Ok(demo) = serde_json::from_str(DEMO_THEME) {
        themes.push(demo);
    }
    if let Ok(extra) = serde_json::from_str::<Vec<Theme>>(EXTRA_THEMES) {
        themes.extend(extra);
    }
    themes
}
