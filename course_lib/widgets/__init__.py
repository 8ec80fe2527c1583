"""Interactive explorers: controls wired to library calls and a redrawn figure, no maths here.

``core`` holds what every explorer shares (the :class:`Explorer` record, log-scale sliders, the
reset button, the on-plot message for a diverging setting); each lesson's explorers live in a
module named after its topic.
"""

from course_lib.widgets.core import Explorer
from course_lib.widgets.digits import digit_browser

__all__ = ["Explorer", "digit_browser"]
