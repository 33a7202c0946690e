// Package plan answers "is this rollout policy feasible for this traffic?"
// before a rollout starts, without simulating it: per step, the expected
// contexts per arm, the probability of meeting the step's minimum contexts
// at its end and after its one extension, the distribution of the time to
// 100%, and the minimum detectable effect (MDE) at 80% power of each metric
// under the policy's confidence sequence.
//
// The model is the generator's (package sim): arrivals are a Poisson
// process of rate λ(t) (a daily cosine, or an hourly profile measured from
// an export), each arrival a uniform draw from a population of N contexts
// (or a new context when N = 0), each context bucketed into an arm with the
// step's weights. Under it, the number of distinct new-variation contexts
// seen in a window is exactly Binomial(N, p·(1 − e^(−Λ/N))) (Poisson(p·Λ)
// when N = 0), where p is the step's new share and Λ the expected arrivals
// in the window; counts only grow within a step, so the probabilities of
// meeting a minimum at the step's end, after its extension and at each hold
// check follow from that one distribution. The MDE uses the classical
// group-sequential recursion (Armitage, McPherson and Rowe 1969; Jennison
// and Turnbull 2000, ch. 19) on the Brownian approximation of the
// information-weighted estimate, with the engine's own one-sided
// confidence-sequence boundary at every check. TestPlanAgreesWithSweep
// checks the probabilities and the MDE against Monte Carlo sweeps.
package plan
