# %% [markdown]
# ## Code exercises, checked
#
# Write each piece in the cell given, then run the check below it: it answers at once, with a hint
# when something is wrong. The solutions are in the repository's `solutions/` folder — try first.

# %% [markdown]
# **Exercise 04.warmup_cosine — warm-up, then a cosine.** For steps $0, \dots, T-1$ with $W$ warm-up
# steps and peak rate $\eta$: $\eta\,(s+1)/W$ while $s < W$, then
# $\tfrac{1}{2}\eta\,(1 + \cos(\pi t))$ with $t = (s - W)/(T - W)$.

# %% exercise 04.warmup_cosine
import math


def warmup_cosine(step, total, warmup, peak):
    """Return the learning rate at ``step`` (0-based) of ``total`` steps, as a float."""
    ### BEGIN SOLUTION
    if step < warmup:
        return peak * (step + 1) / warmup
    return 0.5 * peak * (1 + math.cos(math.pi * (step - warmup) / (total - warmup)))
    ### END SOLUTION

# %% check 04.warmup_cosine
lk.exercises.check("04.warmup_cosine", warmup_cosine)

# %% [markdown]
# **Exercise 04.best_state — keep the best weights.** Early stopping keeps the weights of the best
# epoch while training goes on. Return a copy of `model.state_dict()` that does not change when
# the model's weights do (batch norm's running statistics included).

# %% exercise 04.best_state
def best_state(model):
    """A copy of the model's state dict that later training leaves as it is."""
    ### BEGIN SOLUTION
    return {name: value.detach().clone() for name, value in model.state_dict().items()}
    ### END SOLUTION

# %% check 04.best_state
lk.exercises.check("04.best_state", best_state)
