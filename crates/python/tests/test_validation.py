"""motionkit.validation: findings with no network."""

from __future__ import annotations

from motionkit.validation import check_params


def test_every_finding_at_once_with_field_rule_value_allowed_severity() -> None:
    found = check_params(formats=["bvh"], video_speed_multiplier=9, pose_filtering_strength=2)
    by_field = {f.field: f for f in found}
    assert set(by_field) == {"videoSpeedMultiplier", "poseFilteringStrength"}
    speed = by_field["videoSpeedMultiplier"]
    assert (speed.rule, speed.value, speed.allowed, speed.severity) == ("range", "9", "1.0..=8.0", "error")
    assert speed.blocks


def test_wire_texts_keywords_and_aliases_agree() -> None:
    assert check_params(["formats=bvh,fbx", "trackFace=1"]) == []
    assert check_params({"formats": ["bvh", "fbx"], "track_face": True}) == []
    assert check_params(formats=["mp4"], render_sbs=False, render_bg_color=[0, 177, 64, 0]) == []


def test_an_unknown_parameter_is_a_warning_not_an_error() -> None:
    [finding] = check_params(formats=["bvh"], someNewOption="1")
    assert finding.severity == "warning" and not finding.blocks
    assert finding.field == "someNewOption"


def test_a_documented_failure_and_an_image_only_rule() -> None:
    found = check_params(formats=["png"], input="video")
    assert any(f.blocks for f in found), found
    assert check_params(formats=["png"], input="image") == []
    trim = check_params(formats=["bvh"], trim=[0, 30], duration=10)
    assert any(f.field == "trim" and f.severity == "documented_failure" for f in trim), trim


def test_values_that_do_not_parse_are_findings() -> None:
    [finding] = check_params(formats=["bvh"], track_face="maybe")
    assert (finding.field, finding.rule, finding.severity) == ("trackFace", "flag", "error")
