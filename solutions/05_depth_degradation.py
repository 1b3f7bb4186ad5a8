# %% [markdown]
# ## Code exercises, checked
#
# Write each piece in the cell given, then run the check below it: it answers at once, with a hint
# when something is wrong. The solutions are in the repository's `solutions/` folder — try first.

# %% [markdown]
# **Exercise 05.outcome — what happened to a run?** From a run's final training loss: `"diverged"`
# when it is NaN or infinite, `"stuck"` within 0.01 of $\ln 10$ (the loss of a uniform guess
# among 10 classes: $|\text{loss} - \ln 10| < 0.01$), else `"trained"`. Return exactly one of these
# three short labels (the table of section 5 spells them out longer).

# %% exercise 05.outcome
import math


def outcome(train_loss):
    """'trained', 'stuck' or 'diverged'."""
    ### BEGIN SOLUTION
    if not math.isfinite(train_loss):
        return "diverged"
    if abs(train_loss - math.log(10)) < 0.01:
        return "stuck"
    return "trained"
    ### END SOLUTION

# %% check 05.outcome
lk.exercises.check("05.outcome", outcome)

# %% [markdown]
# **Exercise 05.standard_error — how much is noise?** An accuracy $p$ measured on $n$ test images
# is a mean of $n$ right-or-wrong answers, with standard error $\sqrt{p(1-p)/n}$ ($p$ a fraction,
# 0.55 rather than 55 %).

# %% exercise 05.standard_error
import math


def standard_error(p, n):
    """The standard error of an accuracy p measured on n images."""
    ### BEGIN SOLUTION
    return math.sqrt(p * (1 - p) / n)
    ### END SOLUTION

# %% check 05.standard_error
lk.exercises.check("05.standard_error", standard_error)
