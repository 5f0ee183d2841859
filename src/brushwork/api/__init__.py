"""The public Python API: ``stylize``, ``translate``, ``load_model``, ``train``, ``train_adain``,
``train_student``, ``adapt``, ``evaluate``; ``exit_rank`` ends a ``torchrun`` process that trained.

One module per verb; this package only re-exports them.
"""

from brushwork.api.adapt import adapt
from brushwork.api.evaluate import evaluate
from brushwork.api.stylize import stylize
from brushwork.api.train import train
from brushwork.api.train_adain import train_adain
from brushwork.api.train_student import train_student
from brushwork.api.translate import load_model, translate
from brushwork.train import exit_rank

__all__ = [
    "adapt",
    "evaluate",
    "exit_rank",
    "load_model",
    "stylize",
    "train",
    "train_adain",
    "train_student",
    "translate",
]
