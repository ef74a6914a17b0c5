"""Names and values taken from the published Community Notes scorer (twitter/communitynotes).

Every threshold here is the published default of the core ("MFCoreScorer") model; docs/notes.md
lists where each one comes from and which published rules we leave out.
"""

from __future__ import annotations

from typing import Final

# --- statuses, as written in the public TSV files -------------------------------------------
CRH: Final = "CURRENTLY_RATED_HELPFUL"
CRNH: Final = "CURRENTLY_RATED_NOT_HELPFUL"
NMR: Final = "NEEDS_MORE_RATINGS"
# Integer codes used inside the scorer (arrays of int8); index into STATUS_NAMES.
STATUS_NMR: Final = 0
STATUS_CRH: Final = 1
STATUS_CRNH: Final = 2
STATUS_NONE: Final = -1  # "no status" (e.g. no previous status, not locked)
STATUS_NAMES: Final = (NMR, CRH, CRNH)

# --- note classification ----------------------------------------------------------------------
MISLEADING: Final = "MISINFORMED_OR_POTENTIALLY_MISLEADING"
NOT_MISLEADING: Final = "NOT_MISLEADING"
CLASS_MISLEADING: Final = 1
CLASS_NOT_MISLEADING: Final = 0
CLASS_UNKNOWN: Final = -1  # deleted note: in noteStatusHistory but no longer in notes

# --- rating levels ----------------------------------------------------------------------------
HELPFUL: Final = "HELPFUL"
SOMEWHAT_HELPFUL: Final = "SOMEWHAT_HELPFUL"
NOT_HELPFUL: Final = "NOT_HELPFUL"

# --- data filters (mf_base_scorer defaults) ---------------------------------------------------
MIN_RATINGS_PER_RATER: Final = 10
MIN_RATERS_PER_NOTE: Final = 5

# --- matrix factorisation (matrix_factorization.py / config.json) ------------------------------
L2_LAMBDA: Final = 0.03  # factors
L2_INTERCEPT_MULTIPLIER: Final = 5  # intercepts (note, rater, global) use 0.03 * 5 = 0.15
INTERCEPT_LAMBDA: Final = L2_LAMBDA * L2_INTERCEPT_MULTIPLIER
FACTOR_LAMBDA: Final = L2_LAMBDA

# --- status rules (note_ratings.py / mf_base_scorer.py) ---------------------------------------
MIN_RATINGS_NEEDED: Final = 5
CRH_THRESHOLD: Final = 0.40
CRNH_THRESHOLD_INTERCEPT: Final = -0.05
CRNH_THRESHOLD_NOTE_FACTOR_MULTIPLIER: Final = -0.8
CRNH_THRESHOLD_NM_INTERCEPT: Final = -0.15
CRH_SUPER_THRESHOLD: Final = 0.5
INERTIA_DELTA: Final = 0.01
FACTOR_THRESHOLD: Final = 0.5

# --- helpfulness scores (helpfulness_scores.py, mf_base_scorer.py) ----------------------------
MIN_MEAN_NOTE_SCORE: Final = 0.05
MIN_CRH_VS_CRNH_RATIO: Final = 0.00
MIN_RATER_AGREE_RATIO: Final = 0.66
CRNH_MULTIPLIER: Final = 5.0

# --- explanation tags (constants.py) ------------------------------------------------------------
MIN_RATINGS_TO_GET_TAG: Final = 2
MIN_TAGS_NEEDED_FOR_STATUS: Final = 2

# --- timestamps (constants.py) ------------------------------------------------------------------
DELETED_NOTE_TOMBSTONES_LAUNCH_MILLIS: Final = 1652918400000  # 2022-05-19 UTC
NOT_MISLEADING_UI_LAUNCH_MILLIS: Final = 1664755200000  # 2022-10-03 UTC
PUBLIC_TSV_DELAY_MILLIS: Final = 48 * 60 * 60 * 1000
MAX_HISTORICAL_VALID_RATINGS: Final = 5
NOTE_LOCK_MILLIS: Final = 14 * 24 * 60 * 60 * 1000

# --- tags, in TSV column order, with the published tie-break priority (higher wins a tie) ------
HELPFUL_TAGS_AND_TIEBREAK: Final = (
    ("helpfulOther", 0),
    ("helpfulInformative", 8),
    ("helpfulClear", 7),
    ("helpfulEmpathetic", 3),
    ("helpfulGoodSources", 4),
    ("helpfulUniqueContext", 2),
    ("helpfulAddressesClaim", 5),
    ("helpfulImportantContext", 6),
    ("helpfulUnbiasedLanguage", 1),
)
NOT_HELPFUL_TAGS_AND_TIEBREAK: Final = (
    ("notHelpfulOther", 0),
    ("notHelpfulIncorrect", 8),
    ("notHelpfulSourcesMissingOrUnreliable", 2),
    ("notHelpfulOpinionSpeculationOrBias", 4),
    ("notHelpfulMissingKeyPoints", 5),
    ("notHelpfulOutdated", 12),
    ("notHelpfulHardToUnderstand", 10),
    ("notHelpfulArgumentativeOrBiased", 7),
    ("notHelpfulOffTopic", 9),
    ("notHelpfulSpamHarassmentOrAbuse", 11),
    ("notHelpfulIrrelevantSources", 1),
    ("notHelpfulOpinionSpeculation", 3),
    ("notHelpfulNoteNotNeeded", 6),
)
HELPFUL_TAGS: Final = tuple(tag for tag, _ in HELPFUL_TAGS_AND_TIEBREAK)
NOT_HELPFUL_TAGS: Final = tuple(tag for tag, _ in NOT_HELPFUL_TAGS_AND_TIEBREAK)

MISLEADING_TAGS: Final = (
    "misleadingOther",
    "misleadingFactualError",
    "misleadingManipulatedMedia",
    "misleadingOutdatedInformation",
    "misleadingMissingImportantContext",
    "misleadingUnverifiedClaimAsFact",
    "misleadingSatire",
)
NOT_MISLEADING_TAGS: Final = (
    "notMisleadingOther",
    "notMisleadingFactuallyCorrect",
    "notMisleadingOutdatedButNotWhenWritten",
    "notMisleadingClearlySatire",
    "notMisleadingPersonalOpinion",
)

# --- rule names, as the published scorer writes them into *ActiveRules / decidedBy -------------
RULE_INITIAL_NMR: Final = "InitialNMR (v1.0)"
RULE_GENERAL_CRH: Final = "GeneralCRH (v1.0)"
RULE_GENERAL_CRNH: Final = "GeneralCRNH (v1.0)"
RULE_NM_CRNH: Final = "NmCRNH (v1.0)"
RULE_GENERAL_CRH_INERTIA: Final = "GeneralCRHInertia (v1.0)"
RULE_LARGE_FACTOR: Final = "FilterLargeFactor (v1.0)"
CORE_RULES: Final = (
    RULE_INITIAL_NMR,
    RULE_GENERAL_CRH,
    RULE_GENERAL_CRNH,
    RULE_NM_CRNH,
    RULE_GENERAL_CRH_INERTIA,
    RULE_LARGE_FACTOR,
)
RULE_META_INITIAL_NMR: Final = "MetaInitialNMR (v1.0)"
RULE_CORE_MODEL: Final = "CoreModel (v1.1)"
RULE_SCORING_DRIFT_GUARD: Final = "ScoringDriftGuard (v1.0)"
RULE_INSUFFICIENT_EXPLANATION: Final = "InsufficientExplanation (v1.0)"
META_RULES: Final = (
    RULE_META_INITIAL_NMR,
    RULE_CORE_MODEL,
    RULE_SCORING_DRIFT_GUARD,
    RULE_INSUFFICIENT_EXPLANATION,
)
# Published RuleID.lockingEnabled: a note decided by one of these may have its status locked.
LOCKING_RULES: Final = frozenset({RULE_CORE_MODEL, RULE_INSUFFICIENT_EXPLANATION})
