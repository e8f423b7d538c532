"""What a grading sandbox shows in place of an autodiff library that its assignment does not use
(``sandbox.AUTODIFF``): importing it fails, so that an exercise that asks for a derivation cannot
hand it to a library's automatic differentiation."""

raise ModuleNotFoundError(
    f"{__name__} is not available when this assignment is graded: its exercises are written "
    "with NumPy",
    name=__name__,
)
