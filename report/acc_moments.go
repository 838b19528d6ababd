package report

import "math"

// The moments' step (moments.add) written out for one to five columns
// side by side, each column's running sums in variables of their own:
// the compiler keeps them in registers (or stack slots of fixed place),
// where addMoments' loop over the columns indexed an array of them,
// storing and reloading each column's mean between two of its numbers,
// and a mean's chain (a subtraction, a division, an addition) was
// lengthened by the reload. Five columns of gen's table: 3.0 → 2.4 ns a
// number. Each column's operations are those of moments.add, in the
// same order, so the moments are the same bit for bit.

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

// moments1 adds the numbers of 1 column, of equal lengths, to ms.
func moments1(ms []*moments, f0 []float64) {
	s0, c0, u0, q0, n0 := ms[0].sum, ms[0].comp, ms[0].mean, ms[0].m2, ms[0].n
	for i := range f0 {
		v0 := f0[i]
		t0 := s0 + v0
		if math.Abs(s0) >= math.Abs(v0) {
			c0 += (s0 - t0) + v0
		} else {
			c0 += (v0 - t0) + s0
		}
		s0, n0 = t0, n0+1
		d0 := v0 - u0
		u0 += d0 / float64(n0)
		q0 += d0 * (v0 - u0)
	}
	*ms[0] = moments{s0, c0, u0, q0, n0}
}

// moments2 adds the numbers of 2 columns, of equal lengths, to ms.
func moments2(ms []*moments, f0, f1 []float64) {
	f1 = f1[:len(f0)]
	s0, c0, u0, q0, n0 := ms[0].sum, ms[0].comp, ms[0].mean, ms[0].m2, ms[0].n
	s1, c1, u1, q1, n1 := ms[1].sum, ms[1].comp, ms[1].mean, ms[1].m2, ms[1].n
	for i := range f0 {
		v0 := f0[i]
		t0 := s0 + v0
		if math.Abs(s0) >= math.Abs(v0) {
			c0 += (s0 - t0) + v0
		} else {
			c0 += (v0 - t0) + s0
		}
		s0, n0 = t0, n0+1
		d0 := v0 - u0
		u0 += d0 / float64(n0)
		q0 += d0 * (v0 - u0)
		v1 := f1[i]
		t1 := s1 + v1
		if math.Abs(s1) >= math.Abs(v1) {
			c1 += (s1 - t1) + v1
		} else {
			c1 += (v1 - t1) + s1
		}
		s1, n1 = t1, n1+1
		d1 := v1 - u1
		u1 += d1 / float64(n1)
		q1 += d1 * (v1 - u1)
	}
	*ms[0] = moments{s0, c0, u0, q0, n0}
	*ms[1] = moments{s1, c1, u1, q1, n1}
}

// moments3 adds the numbers of 3 columns, of equal lengths, to ms.
func moments3(ms []*moments, f0, f1, f2 []float64) {
	f1, f2 = f1[:len(f0)], f2[:len(f0)]
	s0, c0, u0, q0, n0 := ms[0].sum, ms[0].comp, ms[0].mean, ms[0].m2, ms[0].n
	s1, c1, u1, q1, n1 := ms[1].sum, ms[1].comp, ms[1].mean, ms[1].m2, ms[1].n
	s2, c2, u2, q2, n2 := ms[2].sum, ms[2].comp, ms[2].mean, ms[2].m2, ms[2].n
	for i := range f0 {
		v0 := f0[i]
		t0 := s0 + v0
		if math.Abs(s0) >= math.Abs(v0) {
			c0 += (s0 - t0) + v0
		} else {
			c0 += (v0 - t0) + s0
		}
		s0, n0 = t0, n0+1
		d0 := v0 - u0
		u0 += d0 / float64(n0)
		q0 += d0 * (v0 - u0)
		v1 := f1[i]
		t1 := s1 + v1
		if math.Abs(s1) >= math.Abs(v1) {
			c1 += (s1 - t1) + v1
		} else {
			c1 += (v1 - t1) + s1
		}
		s1, n1 = t1, n1+1
		d1 := v1 - u1
		u1 += d1 / float64(n1)
		q1 += d1 * (v1 - u1)
		v2 := f2[i]
		t2 := s2 + v2
		if math.Abs(s2) >= math.Abs(v2) {
			c2 += (s2 - t2) + v2
		} else {
			c2 += (v2 - t2) + s2
		}
		s2, n2 = t2, n2+1
		d2 := v2 - u2
		u2 += d2 / float64(n2)
		q2 += d2 * (v2 - u2)
	}
	*ms[0] = moments{s0, c0, u0, q0, n0}
	*ms[1] = moments{s1, c1, u1, q1, n1}
	*ms[2] = moments{s2, c2, u2, q2, n2}
}

// moments4 adds the numbers of 4 columns, of equal lengths, to ms.
func moments4(ms []*moments, f0, f1, f2, f3 []float64) {
	f1, f2, f3 = f1[:len(f0)], f2[:len(f0)], f3[:len(f0)]
	s0, c0, u0, q0, n0 := ms[0].sum, ms[0].comp, ms[0].mean, ms[0].m2, ms[0].n
	s1, c1, u1, q1, n1 := ms[1].sum, ms[1].comp, ms[1].mean, ms[1].m2, ms[1].n
	s2, c2, u2, q2, n2 := ms[2].sum, ms[2].comp, ms[2].mean, ms[2].m2, ms[2].n
	s3, c3, u3, q3, n3 := ms[3].sum, ms[3].comp, ms[3].mean, ms[3].m2, ms[3].n
	for i := range f0 {
		v0 := f0[i]
		t0 := s0 + v0
		if math.Abs(s0) >= math.Abs(v0) {
			c0 += (s0 - t0) + v0
		} else {
			c0 += (v0 - t0) + s0
		}
		s0, n0 = t0, n0+1
		d0 := v0 - u0
		u0 += d0 / float64(n0)
		q0 += d0 * (v0 - u0)
		v1 := f1[i]
		t1 := s1 + v1
		if math.Abs(s1) >= math.Abs(v1) {
			c1 += (s1 - t1) + v1
		} else {
			c1 += (v1 - t1) + s1
		}
		s1, n1 = t1, n1+1
		d1 := v1 - u1
		u1 += d1 / float64(n1)
		q1 += d1 * (v1 - u1)
		v2 := f2[i]
		t2 := s2 + v2
		if math.Abs(s2) >= math.Abs(v2) {
			c2 += (s2 - t2) + v2
		} else {
			c2 += (v2 - t2) + s2
		}
		s2, n2 = t2, n2+1
		d2 := v2 - u2
		u2 += d2 / float64(n2)
		q2 += d2 * (v2 - u2)
		v3 := f3[i]
		t3 := s3 + v3
		if math.Abs(s3) >= math.Abs(v3) {
			c3 += (s3 - t3) + v3
		} else {
			c3 += (v3 - t3) + s3
		}
		s3, n3 = t3, n3+1
		d3 := v3 - u3
		u3 += d3 / float64(n3)
		q3 += d3 * (v3 - u3)
	}
	*ms[0] = moments{s0, c0, u0, q0, n0}
	*ms[1] = moments{s1, c1, u1, q1, n1}
	*ms[2] = moments{s2, c2, u2, q2, n2}
	*ms[3] = moments{s3, c3, u3, q3, n3}
}

// moments5 adds the numbers of 5 columns, of equal lengths, to ms.
func moments5(ms []*moments, f0, f1, f2, f3, f4 []float64) {
	f1, f2, f3, f4 = f1[:len(f0)], f2[:len(f0)], f3[:len(f0)], f4[:len(f0)]
	s0, c0, u0, q0, n0 := ms[0].sum, ms[0].comp, ms[0].mean, ms[0].m2, ms[0].n
	s1, c1, u1, q1, n1 := ms[1].sum, ms[1].comp, ms[1].mean, ms[1].m2, ms[1].n
	s2, c2, u2, q2, n2 := ms[2].sum, ms[2].comp, ms[2].mean, ms[2].m2, ms[2].n
	s3, c3, u3, q3, n3 := ms[3].sum, ms[3].comp, ms[3].mean, ms[3].m2, ms[3].n
	s4, c4, u4, q4, n4 := ms[4].sum, ms[4].comp, ms[4].mean, ms[4].m2, ms[4].n
	for i := range f0 {
		v0 := f0[i]
		t0 := s0 + v0
		if math.Abs(s0) >= math.Abs(v0) {
			c0 += (s0 - t0) + v0
		} else {
			c0 += (v0 - t0) + s0
		}
		s0, n0 = t0, n0+1
		d0 := v0 - u0
		u0 += d0 / float64(n0)
		q0 += d0 * (v0 - u0)
		v1 := f1[i]
		t1 := s1 + v1
		if math.Abs(s1) >= math.Abs(v1) {
			c1 += (s1 - t1) + v1
		} else {
			c1 += (v1 - t1) + s1
		}
		s1, n1 = t1, n1+1
		d1 := v1 - u1
		u1 += d1 / float64(n1)
		q1 += d1 * (v1 - u1)
		v2 := f2[i]
		t2 := s2 + v2
		if math.Abs(s2) >= math.Abs(v2) {
			c2 += (s2 - t2) + v2
		} else {
			c2 += (v2 - t2) + s2
		}
		s2, n2 = t2, n2+1
		d2 := v2 - u2
		u2 += d2 / float64(n2)
		q2 += d2 * (v2 - u2)
		v3 := f3[i]
		t3 := s3 + v3
		if math.Abs(s3) >= math.Abs(v3) {
			c3 += (s3 - t3) + v3
		} else {
			c3 += (v3 - t3) + s3
		}
		s3, n3 = t3, n3+1
		d3 := v3 - u3
		u3 += d3 / float64(n3)
		q3 += d3 * (v3 - u3)
		v4 := f4[i]
		t4 := s4 + v4
		if math.Abs(s4) >= math.Abs(v4) {
			c4 += (s4 - t4) + v4
		} else {
			c4 += (v4 - t4) + s4
		}
		s4, n4 = t4, n4+1
		d4 := v4 - u4
		u4 += d4 / float64(n4)
		q4 += d4 * (v4 - u4)
	}
	*ms[0] = moments{s0, c0, u0, q0, n0}
	*ms[1] = moments{s1, c1, u1, q1, n1}
	*ms[2] = moments{s2, c2, u2, q2, n2}
	*ms[3] = moments{s3, c3, u3, q3, n3}
	*ms[4] = moments{s4, c4, u4, q4, n4}
}
