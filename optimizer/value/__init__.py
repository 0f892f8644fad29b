"""The value engine: what each customer is worth.

RFM summaries (``rfm``), the purchase models BG/NBD, MBG/NBD and Pareto/NBD, the Gamma-Gamma
spend model, CLV (``clv``) and segment priors (``segments``). Pure: numpy and scipy only.
"""

from optimizer.value.base import ConvergenceError, ConvergenceWarning
from optimizer.value.bgnbd import BGNBD
from optimizer.value.btyd import PurchaseModel
from optimizer.value.clv import (
    CustomerScores,
    customer_lifetime_value,
    discounted_expected_purchases,
    score_customers,
)
from optimizer.value.compress import compress
from optimizer.value.engagement import p_alive_with_engagement
from optimizer.value.gammagamma import GammaGamma
from optimizer.value.mbgnbd import MBGNBD
from optimizer.value.paretonbd import ParetoNBD
from optimizer.value.rfm import (
    RFMError,
    RFMSummary,
    Transactions,
    read_cdnow_master,
    read_summary_csv,
    read_transactions,
    summarize,
)
from optimizer.value.segments import SegmentPriors, fit_segment_priors

PURCHASE_MODELS: dict[str, type[PurchaseModel]] = {
    "bgnbd": BGNBD,
    "mbgnbd": MBGNBD,
    "paretonbd": ParetoNBD,
}

__all__ = [
    "BGNBD",
    "MBGNBD",
    "PURCHASE_MODELS",
    "ConvergenceError",
    "ConvergenceWarning",
    "CustomerScores",
    "GammaGamma",
    "ParetoNBD",
    "PurchaseModel",
    "RFMError",
    "RFMSummary",
    "SegmentPriors",
    "Transactions",
    "compress",
    "customer_lifetime_value",
    "discounted_expected_purchases",
    "fit_segment_priors",
    "p_alive_with_engagement",
    "read_cdnow_master",
    "read_summary_csv",
    "read_transactions",
    "score_customers",
    "summarize",
]
