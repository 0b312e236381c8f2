import { z } from "@hono/zod-openapi";
import { timestamp } from "../platform/http/openapi.ts";
import type { Enrollment } from "./enrollment-store.ts";
import { COURSE_TYPES, type Course } from "./store.ts";

export const CourseSchema = z
  .object({
    id: z.uuid(),
    title: z.string(),
    description: z.string(),
    course_type: z.enum(COURSE_TYPES),
    instructor_id: z.uuid(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi("Course");

export const NewCourse = z.object({
  title: z.string().trim().min(1).max(200),
  description: z.string().max(20_000).default(""),
  course_type: z.enum(COURSE_TYPES),
});
export const CourseChanges = NewCourse.partial().extend({ description: z.string().max(20_000).optional() });

export const serializeCourse = (course: Course) => ({
  id: course.id,
  title: course.title,
  description: course.description,
  course_type: course.course_type,
  instructor_id: course.instructor_id,
  created_at: course.created_at,
  updated_at: course.updated_at,
});

export const EnrollmentSchema = z
  .object({ id: z.uuid(), course_id: z.uuid(), user_id: z.uuid(), created_at: timestamp })
  .openapi("Enrollment");

export const serializeEnrollment = (e: Enrollment) => ({
  id: e.id,
  course_id: e.course_id,
  user_id: e.user_id,
  created_at: e.created_at,
});
