package report

import "math"

// The moments' step (moments.add) written out for one to five columns
// side by side, each column's running sums in variables of their own:
// the compiler keeps them in registers (or stack slots of fixed place),
// where addMoments' loop over the columns indexed an array of them,
// storing and reloading each column's mean between two of its numbers,
// and a mean's chain (a subtraction, a division, an addition) was
// lengthened by the reload. Five columns of gen's table: 3.0 → 2.4 ns a
// number. Each column's operations are those of moments.add (sumStep, meanStep),
// in the same order, so the moments are the same bit for bit.

// addSideBySide adds nums[j], all of one length, to ms[j] for every j (at
// most maxInterleave): five at once at most, six to eight as two groups.
func addSideBySide(ms []*moments, nums [][]float64) {
	switch len(ms) {
	case 1:
		moments1(ms, nums[0])
	case 2:
		moments2(ms, nums[0], nums[1])
	case 3:
		moments3(ms, nums[0], nums[1], nums[2])
	case 4:
		moments4(ms, nums[0], nums[1], nums[2], nums[3])
	case 5:
		moments5(ms, nums[0], nums[1], nums[2], nums[3], nums[4])
	default:
		h := (len(ms) + 1) / 2
		addSideBySide(ms[:h], nums[:h])
		addSideBySide(ms[h:], nums[h:])
	}
}

// sumStep and meanStep are moments.add on a column's sums held in
// variables, in two halves small enough to be inlined, so the sums stay in
// the caller's registers. sumStep adds v to the compensated sum (sum,
// comp); meanStep to the running mean and m2 of n numbers.
func sumStep(s, c, v float64) (float64, float64) {
	t := s + v
	if math.Abs(s) >= math.Abs(v) {
		c += (s - t) + v
	} else {
		c += (v - t) + s
	}
	return t, c
}

func meanStep(u, q float64, n int64, v float64) (float64, float64, int64) {
	n++
	d := v - u
	u += d / float64(n)
	q += d * (v - u)
	return u, q, n
}

// moments1 adds the numbers of 1 column to ms.
func moments1(ms []*moments, f0 []float64) {
	s0, c0, u0, q0, n0 := ms[0].sum, ms[0].comp, ms[0].mean, ms[0].m2, ms[0].n
	for _, v := range f0 {
		s0, c0 = sumStep(s0, c0, v)
		u0, q0, n0 = meanStep(u0, q0, n0, v)
	}
	*ms[0] = moments{s0, c0, u0, q0, n0}
}

// moments2 adds the numbers of 2 columns, of equal lengths, to ms.
func moments2(ms []*moments, f0, f1 []float64) {
	f1 = f1[:len(f0)]
	s0, c0, u0, q0, n0 := ms[0].sum, ms[0].comp, ms[0].mean, ms[0].m2, ms[0].n
	s1, c1, u1, q1, n1 := ms[1].sum, ms[1].comp, ms[1].mean, ms[1].m2, ms[1].n
	for i := range f0 {
		s0, c0 = sumStep(s0, c0, f0[i])
		u0, q0, n0 = meanStep(u0, q0, n0, f0[i])
		s1, c1 = sumStep(s1, c1, f1[i])
		u1, q1, n1 = meanStep(u1, q1, n1, f1[i])
	}
	*ms[0] = moments{s0, c0, u0, q0, n0}
	*ms[1] = moments{s1, c1, u1, q1, n1}
}

// moments3 adds the numbers of 3 columns, of equal lengths, to ms.
func moments3(ms []*moments, f0, f1, f2 []float64) {
	f1 = f1[:len(f0)]
	f2 = f2[:len(f0)]
	s0, c0, u0, q0, n0 := ms[0].sum, ms[0].comp, ms[0].mean, ms[0].m2, ms[0].n
	s1, c1, u1, q1, n1 := ms[1].sum, ms[1].comp, ms[1].mean, ms[1].m2, ms[1].n
	s2, c2, u2, q2, n2 := ms[2].sum, ms[2].comp, ms[2].mean, ms[2].m2, ms[2].n
	for i := range f0 {
		s0, c0 = sumStep(s0, c0, f0[i])
		u0, q0, n0 = meanStep(u0, q0, n0, f0[i])
		s1, c1 = sumStep(s1, c1, f1[i])
		u1, q1, n1 = meanStep(u1, q1, n1, f1[i])
		s2, c2 = sumStep(s2, c2, f2[i])
		u2, q2, n2 = meanStep(u2, q2, n2, f2[i])
	}
	*ms[0] = moments{s0, c0, u0, q0, n0}
	*ms[1] = moments{s1, c1, u1, q1, n1}
	*ms[2] = moments{s2, c2, u2, q2, n2}
}

// moments4 adds the numbers of 4 columns, of equal lengths, to ms.
func moments4(ms []*moments, f0, f1, f2, f3 []float64) {
	f1 = f1[:len(f0)]
	f2 = f2[:len(f0)]
	f3 = f3[:len(f0)]
	s0, c0, u0, q0, n0 := ms[0].sum, ms[0].comp, ms[0].mean, ms[0].m2, ms[0].n
	s1, c1, u1, q1, n1 := ms[1].sum, ms[1].comp, ms[1].mean, ms[1].m2, ms[1].n
	s2, c2, u2, q2, n2 := ms[2].sum, ms[2].comp, ms[2].mean, ms[2].m2, ms[2].n
	s3, c3, u3, q3, n3 := ms[3].sum, ms[3].comp, ms[3].mean, ms[3].m2, ms[3].n
	for i := range f0 {
		s0, c0 = sumStep(s0, c0, f0[i])
		u0, q0, n0 = meanStep(u0, q0, n0, f0[i])
		s1, c1 = sumStep(s1, c1, f1[i])
		u1, q1, n1 = meanStep(u1, q1, n1, f1[i])
		s2, c2 = sumStep(s2, c2, f2[i])
		u2, q2, n2 = meanStep(u2, q2, n2, f2[i])
		s3, c3 = sumStep(s3, c3, f3[i])
		u3, q3, n3 = meanStep(u3, q3, n3, f3[i])
	}
	*ms[0] = moments{s0, c0, u0, q0, n0}
	*ms[1] = moments{s1, c1, u1, q1, n1}
	*ms[2] = moments{s2, c2, u2, q2, n2}
	*ms[3] = moments{s3, c3, u3, q3, n3}
}

// moments5 adds the numbers of 5 columns, of equal lengths, to ms.
func moments5(ms []*moments, f0, f1, f2, f3, f4 []float64) {
	f1 = f1[:len(f0)]
	f2 = f2[:len(f0)]
	f3 = f3[:len(f0)]
	f4 = f4[:len(f0)]
	s0, c0, u0, q0, n0 := ms[0].sum, ms[0].comp, ms[0].mean, ms[0].m2, ms[0].n
	s1, c1, u1, q1, n1 := ms[1].sum, ms[1].comp, ms[1].mean, ms[1].m2, ms[1].n
	s2, c2, u2, q2, n2 := ms[2].sum, ms[2].comp, ms[2].mean, ms[2].m2, ms[2].n
	s3, c3, u3, q3, n3 := ms[3].sum, ms[3].comp, ms[3].mean, ms[3].m2, ms[3].n
	s4, c4, u4, q4, n4 := ms[4].sum, ms[4].comp, ms[4].mean, ms[4].m2, ms[4].n
	for i := range f0 {
		s0, c0 = sumStep(s0, c0, f0[i])
		u0, q0, n0 = meanStep(u0, q0, n0, f0[i])
		s1, c1 = sumStep(s1, c1, f1[i])
		u1, q1, n1 = meanStep(u1, q1, n1, f1[i])
		s2, c2 = sumStep(s2, c2, f2[i])
		u2, q2, n2 = meanStep(u2, q2, n2, f2[i])
		s3, c3 = sumStep(s3, c3, f3[i])
		u3, q3, n3 = meanStep(u3, q3, n3, f3[i])
		s4, c4 = sumStep(s4, c4, f4[i])
		u4, q4, n4 = meanStep(u4, q4, n4, f4[i])
	}
	*ms[0] = moments{s0, c0, u0, q0, n0}
	*ms[1] = moments{s1, c1, u1, q1, n1}
	*ms[2] = moments{s2, c2, u2, q2, n2}
	*ms[3] = moments{s3, c3, u3, q3, n3}
	*ms[4] = moments{s4, c4, u4, q4, n4}
}
