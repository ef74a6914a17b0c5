"""The moderation policy as data: what moderators may do (smallest first), the platform's
rules, and the label vocabulary. Published as is by the API and docs/moderation.md."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str
    visibility_effect: str  # the DSA "decision on visibility" wording
    target: str  # status | account
    mastodon_action: str  # AccountWarning.action shown to Mastodon clients
    description: str
    requires_label: bool = False
    requires_law_or_rule: bool = False


# Smallest first. Every kind reduces who sees something or how; each goes only through
# actions.moderation.decide, which writes the statement, the notice and the log entry.
KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("label", "labelled", "status", "none",
         "A label is shown on the post; people choose to show, warn or hide it.",
         requires_label=True),
    Kind("label_account", "labelled", "account", "none",
         "A label is shown on the account and its posts (e.g. state-affiliated media).",
         requires_label=True),
    Kind("limit_reach", "demoted", "status", "silence",
         "The post stays up for everyone who looks for it, but is not recommended to people "
         "who do not follow the author (For you, trends)."),
    Kind("limit_account_reach", "demoted", "account", "silence",
         "The account's posts are not recommended to non-followers."),
    Kind("interstitial", "warned", "status", "mark_statuses_as_sensitive",
         "The post is shown behind a warning the reader clicks through."),
    Kind("remove", "removed", "status", "delete_statuses",
         "The post is no longer shown to anyone but its author. Only for a cited law or rule.",
         requires_law_or_rule=True),
    Kind("suspend", "suspended", "account", "suspend",
         "The account cannot sign in and its posts are not shown. Only for a cited law or rule.",
         requires_law_or_rule=True),
)}

SOURCES = ("report", "moderator", "automated")
MODERATOR_ROLES = ("moderator", "admin")
GROUND_TYPES = ("law", "rule")


@dataclass(frozen=True)
class Rule:
    id: str
    text: str
    hint: str


RULES: dict[str, Rule] = {r.id: r for r in (
    Rule("1", "No illegal content.", "Content that is illegal where this square operates, "
         "such as child sexual abuse material, incitement to violence, or unlawful threats."),
    Rule("2", "No targeted harassment.", "Repeated, unwanted attacks on a person."),
    Rule("3", "No spam or platform manipulation.", "Bulk unsolicited posts, fake engagement, "
         "coordinated inauthentic behaviour, undeclared automation posing as people."),
    Rule("4", "Label sensitive media.", "Graphic or adult media needs a content warning."),
    Rule("5", "No impersonation.", "Do not pose as another person or organisation to deceive."),
)}


@dataclass(frozen=True)
class LabelDef:
    value: str
    description: str
    default_setting: str  # show | warn | hide


# The platform's label vocabulary (labeler id 0). Labelers define their own.
LABELS: dict[str, LabelDef] = {d.value: d for d in (
    LabelDef("graphic", "Graphic violence or gore.", "warn"),
    LabelDef("adult", "Sexual or adult content.", "warn"),
    LabelDef("spam", "Unsolicited bulk or repetitive content.", "warn"),
    LabelDef("misleading", "Disputed or misleading claims; see the attached context.", "show"),
    LabelDef("state-affiliated-media", "An outlet whose editorial content is controlled by a "
             "state, through financial resources, direct or indirect political pressure, or "
             "control over production and distribution. Independent public broadcasters with "
             "editorial independence are not labelled.", "show"),
    LabelDef("coordinated", "Part of a detected coordinated campaign; see its evidence page.",
             "show"),
    LabelDef("automated", "Shows signs of automation.", "show"),
)}

LABEL_SETTINGS = ("show", "warn", "hide")
PLATFORM_LABELER = 0
