"""Self-checks for the exercises: ``check_x(your_function)`` passes quietly or fails with a hint.

``core`` holds the machinery (:class:`CheckFailed` and the helpers that call the learner's
function and report); each lesson's checks live in a module named after its topic.
"""

from course_lib.checks.core import CheckFailed
from course_lib.checks.start_here import check_batches_per_epoch, check_count_digit, check_scale_pixels

__all__ = ["CheckFailed", "check_batches_per_epoch", "check_count_digit", "check_scale_pixels"]
