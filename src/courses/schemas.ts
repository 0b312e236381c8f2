import { z } from "@hono/zod-openapi";
import { changesTo, timestamp } from "../platform/http/openapi.ts";
import { storedText } from "../platform/http/text.ts";
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

const courseFields = {
  title: storedText({ max: 200, nonBlank: true }),
  description: storedText({ max: 20_000 }),
  course_type: z.enum(COURSE_TYPES),
};
export const NewCourse = z.object({ ...courseFields, description: courseFields.description.default("") });
export const CourseChanges = changesTo(z.object(courseFields));

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
