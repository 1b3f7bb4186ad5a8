# %% [markdown]
# ## Code exercises, checked
#
# Write each piece in the cell given, then run the check below it: it answers at once, with a hint
# when something is wrong. The solutions are in the repository's `solutions/` folder — try first.

# %% [markdown]
# **Exercise 08.class_map — CAM from the feature maps and the Linear layer.** From section 1: the
# map of class $c$ is $M_c = \sum_k w_{c,k} A_k$, where `features[:, k]` holds $A_k$ for each image
# and `weight` is the Linear layer's weight matrix (`model.fc.weight`, one row per class).

# %% exercise 08.class_map
def class_map(features, weight, c):
    """features (N, K, h, w), weight (classes, K), a class c -> the maps M_c (N, h, w)."""
    ### BEGIN SOLUTION
    return (weight[c].view(1, -1, 1, 1) * features).sum(dim=1)
    ### END SOLUTION

# %% check 08.class_map
lk.exercises.check("08.class_map", class_map)

# %% [markdown]
# **Exercise 08.grad_cam — Grad-CAM from activations and gradients.** From section 5: the weight of
# map $k$ is its mean gradient $\alpha_k = \frac{1}{hw} \sum_{i,j} \partial y_c / \partial A_k(i,j)$,
# and the map is $\mathrm{relu}(\sum_k \alpha_k A_k)$, for each image on its own.

# %% exercise 08.grad_cam
def grad_cam_map(activations, gradients):
    """activations A and gradients dy_c/dA, both (N, K, h, w) -> the Grad-CAM maps (N, h, w)."""
    ### BEGIN SOLUTION
    alpha = gradients.mean(dim=(2, 3), keepdim=True)
    return (alpha * activations).sum(dim=1).relu()
    ### END SOLUTION

# %% check 08.grad_cam
lk.exercises.check("08.grad_cam", grad_cam_map)
