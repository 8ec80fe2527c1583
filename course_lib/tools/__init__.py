"""Tools outside a learner's reading path: the course-lib command (cli), the editions and site (editions), MNIST runs (runs)."""
