# %% [markdown]
# ## Code exercises, checked
#
# Write each piece in the cell given, then run the check below it: it answers at once, with a hint
# when something is wrong. The solutions are in the repository's `solutions/` folder — try first.

# %% [markdown]
# **Exercise 06.gradient_norms — measure the gradient flow yourself.** On one fixed batch, compute the
# cross-entropy loss, one `backward()`, and return $\lVert \partial L / \partial W \rVert$ for every
# weight (every parameter whose name ends in `weight`; the biases are left out), keyed by its name in
# `model.named_parameters()`, as Python floats (`.item()`). Called twice, it must give the same numbers.

# %% exercise 06.gradient_norms
import torch.nn.functional as F


def gradient_norms(model, images, labels):
    """{name: norm of the gradient} for every parameter whose name ends in 'weight'."""
    ### BEGIN SOLUTION
    model.zero_grad()
    F.cross_entropy(model(images), labels).backward()
    return {name: p.grad.norm().item() for name, p in model.named_parameters() if name.endswith("weight")}
    ### END SOLUTION

# %% check 06.gradient_norms
lk.exercises.check("06.gradient_norms", gradient_norms)

# %% [markdown]
# **Exercise 06.he_init — He initialisation.** A ReLU zeroes half of its inputs, so to keep the
# variance of the activations from layer to layer, a layer with `fan_in` inputs starts with weights
# drawn from $\mathcal{N}(0, 2/\text{fan\_in})$ and biases 0. Set them in place (`torch.no_grad()`), for
# one `nn.Linear` layer (section 6's `he_init(model)` does it for every layer of a model: this one is
# named `he_init_layer`, so that running section 6 again still finds its own).

# %% exercise 06.he_init
import math

import torch


def he_init_layer(linear):
    """Set linear.weight ~ N(0, 2 / in_features) and linear.bias = 0, in place."""
    ### BEGIN SOLUTION
    with torch.no_grad():
        linear.weight.normal_(0, math.sqrt(2 / linear.in_features))
        linear.bias.zero_()
    ### END SOLUTION

# %% check 06.he_init
lk.exercises.check("06.he_init", he_init_layer)
