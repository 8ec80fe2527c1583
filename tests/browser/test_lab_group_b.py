"""Widgets in a real JupyterLab, group b: every other widget notebook, the rest are in group a.

What is checked: see lab_session.check_widgets_in_lab.
"""

from lab_session import widget_test

test_widgets_work_in_jupyterlab = widget_test(1)
